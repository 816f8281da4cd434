// A guest's stdout held in one growing buffer up to its cap: host memory stays ≤ the cap whatever the write pattern
// (a chunk list would cost ~100 bytes of bookkeeping per write, so a million 1-byte writes would not be "1 MiB").

export class OutputSink {
  private buf = Buffer.alloc(0);
  private kept = 0;
  /** Total bytes offered, including those dropped past the cap. */
  total = 0;

  constructor(readonly cap: number) {}

  /** Keeps what fits; false once the cap is crossed (the caller stops the guest). Empty writes cost nothing. */
  push(chunk: Uint8Array): boolean {
    if (chunk.length === 0) return true;
    this.total += chunk.length;
    const room = this.cap - this.kept;
    const n = Math.min(room, chunk.length);
    if (n > 0) {
      this.reserve(this.kept + n);
      this.buf.set(chunk.subarray(0, n), this.kept);
      this.kept += n;
    }
    return chunk.length <= room;
  }

  /** Host bytes this sink holds (counted in peak_memory_bytes). */
  get retainedBytes(): number {
    return this.buf.length;
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.kept);
  }

  private reserve(size: number): void {
    if (size <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.cap, Math.max(size, this.buf.length * 2, 4096)));
    this.buf.copy(next, 0, 0, this.kept);
    this.buf = next;
  }
}
