// Collects a stream's bytes up to a cap and says when the cap was crossed, so a flood never reaches memory.

export class CappedBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  /** Total bytes offered, including those dropped past the cap. */
  total = 0;
  overflowed = false;

  constructor(readonly cap: number) {}

  /** Returns false once the cap is crossed (the caller should kill the producer). */
  push(chunk: Buffer | Uint8Array | string): boolean {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.total += buf.length;
    const room = this.cap - this.kept;
    if (buf.length > room) {
      if (room > 0) { this.chunks.push(Buffer.from(buf.subarray(0, room))); this.kept += room; }
      this.overflowed = true;
      return false;
    }
    this.chunks.push(Buffer.from(buf));
    this.kept += buf.length;
    return true;
  }

  get length(): number {
    return this.kept;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }

  toString(): string {
    return this.toBuffer().toString('utf8');
  }
}

/** Splits a byte stream into lines for log updates, capping the total logged and each line. */
export class LineSplitter {
  private partial = '';
  private emitted = 0;
  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxTotal = 64 * 1024,
    private readonly maxLine = 1024,
  ) {}

  push(chunk: Buffer | string): void {
    if (this.emitted >= this.maxTotal) return;
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = (lines.pop() ?? '').slice(0, this.maxLine);
    for (const line of lines) this.send(line);
  }

  flush(): void {
    if (this.partial) this.send(this.partial);
    this.partial = '';
  }

  private send(line: string): void {
    if (this.emitted >= this.maxTotal) return;
    const l = line.slice(0, this.maxLine);
    this.emitted += l.length + 1;
    this.emit(l);
  }
}
