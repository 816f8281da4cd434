// bwrap's --json-status-fd stream: pid 1's host pid, then the exit code, with signal deaths decoded.
import { describe, expect, it } from 'vitest';
import { decodeExit, StatusReader } from '../../src/runtimes/native/sandbox-status.js';

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

  it('decodes 128+N as signal N', () => {
    expect(decodeExit(139)).toEqual({ exitCode: 139, signal: 'SIGSEGV' });
    expect(decodeExit(137)).toEqual({ exitCode: 137, signal: 'SIGKILL' });
    expect(decodeExit(3)).toEqual({ exitCode: 3, signal: '' });
  });
});
