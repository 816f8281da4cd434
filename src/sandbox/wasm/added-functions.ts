// The functions the instrumenter appends after the module's own: helpers made on first use, export wrappers.
export class AddedFunctions {
  private readonly types: number[] = [];
  private readonly bodies: (() => Uint8Array)[] = [];
  private readonly byKey = new Map<string, number>();

  /** `base` is the index of the first added function (after imports, out_of_fuel and defined functions). */
  constructor(readonly base: number) {}

  get count(): number {
    return this.types.length;
  }

  /** The index of the function known by `key`, adding it (type index, body made at write time) the first time. */
  get(key: string, type: number, body: () => Uint8Array): number {
    let index = this.byKey.get(key);
    if (index === undefined) {
      index = this.base + this.types.length;
      this.byKey.set(key, index);
      this.types.push(type);
      this.bodies.push(body);
    }
    return index;
  }

  typeIndices(): number[] {
    return this.types;
  }

  writeBodies(): Uint8Array[] {
    return this.bodies.map((b) => b());
  }
}
