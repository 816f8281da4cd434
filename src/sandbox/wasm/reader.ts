// A bounds-checked cursor over wasm bytes: LEB128 integers, names, raw slices.
import { InstrumentError } from './instrument-error.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw new InstrumentError('truncated module');
    return this.buf[this.pos++]!;
  }

  /** Unsigned LEB128 (u32 and, for limits, u64 values within the safe-integer range). */
  u32(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new InstrumentError('malformed LEB128');
  }

  /** Signed LEB128 up to 33 bits (block types, heap types). */
  s33(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return b & 0x40 ? result - scale : result;
    }
    throw new InstrumentError('malformed LEB128');
  }

  /** Skips any LEB128 integer (i32/i64 constants we never need the value of). */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if ((this.u8() & 0x80) === 0) return;
    throw new InstrumentError('malformed LEB128');
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new InstrumentError('truncated module');
    this.pos += n;
  }

  bytes(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.buf.subarray(start, this.pos);
  }

  name(): string {
    return utf8.decode(this.bytes(this.u32()));
  }
}
