// Bounds-checked access to a module's linear memory: a lying pointer becomes a MemoryFault, never a host crash.

export class MemoryFault extends Error {}

/** POSIX IOV_MAX: more iovecs in one call is EINVAL, so one call cannot make the host walk millions of them. */
export const IOV_MAX = 1024;

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

  /**
   * Reads an iovec array (buf u32, len u32 pairs) of at most IOV_MAX entries (the caller checks the count) and
   * returns the non-empty views it names with their total length; every range is bounds-checked first.
   */
  iovecs(ptr: number, count: number): { views: Uint8Array[]; bytes: number } {
    const n = count >>> 0;
    if (n > IOV_MAX) throw new RangeError(`${n} iovecs exceed IOV_MAX (${IOV_MAX})`);
    const table = this.view(ptr, n * 8);
    const views: Uint8Array[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const len = table.getUint32(i * 8 + 4, true);
      const view = this.bytes(table.getUint32(i * 8, true), len);
      if (len === 0) continue;
      views.push(view);
      bytes += len;
    }
    return { views, bytes };
  }
}
