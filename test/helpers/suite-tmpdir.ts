// vitest globalSetup: the whole run gets one private temp directory (TMPDIR), removed at the end, so no test's folders
// (configs, journals, sockets, PostgreSQL clusters) outlive the run, even when a test fails before its own cleanup.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ari-suite-'));
  // sandbox uids and the PostgreSQL harness (run as nobody) must traverse into the tests' own directories
  chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
