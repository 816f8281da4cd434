// Reads bwrap's --json-status-fd stream: the sandbox pid 1's host pid, then how it ended.
export interface SandboxStatus {
  /** Host pid of the agent (pid 1 of the sandbox's pid namespace); killing it ends the whole namespace. */
  childPid?: number;
  /** bwrap reports a signal death as 128 + signal number (contract/exit-status.ts decodes it). */
  exitCode?: number;
}

export class StatusReader {
  readonly status: SandboxStatus = {};
  private text = '';

  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    const lines = this.text.split('\n');
    this.text = lines.pop() ?? '';
    for (const line of lines) this.parse(line);
  }

  end(): void {
    this.parse(this.text);
    this.text = '';
  }

  private parse(line: string): void {
    if (!line.trim()) return;
    try {
      const doc = JSON.parse(line) as Record<string, unknown>;
      if (typeof doc['child-pid'] === 'number') this.status.childPid = doc['child-pid'];
      if (typeof doc['exit-code'] === 'number') this.status.exitCode = doc['exit-code'];
    } catch {
      // bwrap writes one document per line; anything else is not ours to trust
    }
  }
}
