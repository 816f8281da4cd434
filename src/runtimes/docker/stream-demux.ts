// Splits Docker's multiplexed attach stream (8-byte frame headers: type, 0,0,0, u32 BE length) into stdout/stderr.

export type FrameSink = (stream: 'stdout' | 'stderr', payload: Buffer) => void;

export class StreamDemuxer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes still owed to the current frame, and where they go. */
  private remaining = 0;
  private target: 'stdout' | 'stderr' = 'stdout';

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    while (buf.length > 0) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, buf.length);
        this.sink(this.target, buf.subarray(0, take));
        this.remaining -= take;
        buf = buf.subarray(take);
        continue;
      }
      // Accumulate a whole header (headers can straddle chunks).
      const need = 8 - this.pendingBytes;
      const part = buf.subarray(0, need);
      this.pending.push(part);
      this.pendingBytes += part.length;
      buf = buf.subarray(part.length);
      if (this.pendingBytes < 8) return;
      const header = Buffer.concat(this.pending, 8);
      this.pending = [];
      this.pendingBytes = 0;
      // Type 2 is stderr; 0 (stdin echo) and 1 count as stdout.
      this.target = header[0] === 2 ? 'stderr' : 'stdout';
      this.remaining = header.readUInt32BE(4);
    }
  }
}
