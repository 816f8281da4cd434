// LEB128 encoders; decoding lives in reader.ts next to the cursor it advances.

/** Unsigned LEB128 of a non-negative safe integer. */
export function encodeU32(value: number, out: number[]): void {
  let v = value;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

/** Signed LEB128 of a safe integer (enough for i32/i64 constants the instrumenter emits). */
export function encodeS64(value: number, out: number[]): void {
  let v = value;
  for (;;) {
    const b = ((v % 128) + 128) % 128;
    v = Math.floor(v / 128);
    const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return;
  }
}
