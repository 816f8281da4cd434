// Bounds-checked access to a module's linear memory: a lying pointer becomes a MemoryFault, never a host crash.

export class MemoryFault extends Error {}

export class GuestMemory {
  constructor(private readonly memory: WebAssembly.Memory) {}

  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** A view of [ptr, ptr+len) after checking it lies inside memory (re-read: memory may have grown). */
  bytes(ptr: number, len: number): Uint8Array {
    const p = ptr >>> 0;
    const n = len >>> 0;
    const size = this.memory.buffer.byteLength;
    if (p > size || n > size - p) throw new MemoryFault(`range [${p}, ${p + n}) outside memory of ${size} bytes`);
    return new Uint8Array(this.memory.buffer, p, n);
  }

  view(ptr: number, len: number): DataView {
    const b = this.bytes(ptr, len);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  u32(ptr: number): number {
    return this.view(ptr, 4).getUint32(0, true);
  }

  setU32(ptr: number, value: number): void {
    this.view(ptr, 4).setUint32(0, value >>> 0, true);
  }

  setU64(ptr: number, value: bigint): void {
    this.view(ptr, 8).setBigUint64(0, BigInt.asUintN(64, value), true);
  }

  write(ptr: number, data: Uint8Array): void {
    this.bytes(ptr, data.length).set(data);
  }

  /** Reads an iovec array (buf u32, len u32 pairs) and returns the views it names. */
  iovecs(ptr: number, count: number): Uint8Array[] {
    const table = this.view(ptr, (count >>> 0) * 8);
    const out: Uint8Array[] = [];
    for (let i = 0; i < count >>> 0; i++) {
      out.push(this.bytes(table.getUint32(i * 8, true), table.getUint32(i * 8 + 4, true)));
    }
    return out;
  }
}
