// bwrap's --json-status-fd stream: pid 1's host pid, then the exit code.
import { describe, expect, it } from 'vitest';
import { StatusReader } from '../../src/runtimes/native/sandbox-status.js';

describe('sandbox status', () => {
  it('reads the child pid and exit code across chunk boundaries', () => {
    const r = new StatusReader();
    r.push('{ "child-pid": 1234, "cgroup-namespace": 1 }\n{ "exit-');
    expect(r.status.childPid).toBe(1234);
    r.push('code": 0 }');
    r.end();
    expect(r.status.exitCode).toBe(0);
  });

  it('ignores garbage', () => {
    const r = new StatusReader();
    r.push('not json\n{"child-pid":"x"}\n');
    r.end();
    expect(r.status).toEqual({});
  });
});
