// A growable byte buffer with the wasm encodings the rewriter emits.
import { encodeS64, encodeU32 } from './leb128.js';

const utf8 = new TextEncoder();

export class Writer {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private len = 0;
  private readonly scratch: number[] = [];

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(b: number): this {
    this.reserve(1);
    this.buf[this.len++] = b;
    return this;
  }

  /** Several raw bytes (opcodes, fixed immediates). */
  ops(...bs: number[]): this {
    this.reserve(bs.length);
    for (const b of bs) this.buf[this.len++] = b;
    return this;
  }

  u32(v: number): this {
    // Inline fast path: this runs for every immediate of every rewritten operator.
    if (v >= 0 && v <= 0xffffffff) {
      this.reserve(5);
      let x = v >>> 0;
      while (x >= 0x80) {
        this.buf[this.len++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      this.buf[this.len++] = x;
      return this;
    }
    this.scratch.length = 0;
    encodeU32(v, this.scratch);
    return this.ops(...this.scratch);
  }

  s64(v: number): this {
    this.scratch.length = 0;
    encodeS64(v, this.scratch);
    return this.ops(...this.scratch);
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** Copies src[start, end) without allocating a view (the rewriter copies most operators verbatim). */
  copy(src: Uint8Array, start: number, end: number): this {
    this.reserve(end - start);
    for (let i = start; i < end; i++) this.buf[this.len++] = src[i]!;
    return this;
  }

  name(s: string): this {
    const b = utf8.encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** A length-prefixed copy of another writer's content (section payloads, function bodies). */
  sized(inner: Writer): this {
    return this.u32(inner.len).bytes(inner.finish());
  }

  /** Empties the buffer for reuse; views returned by finish() become invalid. */
  reset(): this {
    this.len = 0;
    return this;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.len);
  }
}
