// All parameters of a network group live in ONE flat float32 vector. On the single-threaded
// wasm backend per-op overhead dominates, so one vector means one Adam update, one gradient
// norm and one tf.Variable instead of a dozen of each; layers are slices of it.

export interface ParamEntry {
  name: string;
  offset: number;
  shape: number[];
  size: number;
}

export class ParamLayout {
  readonly entries = new Map<string, ParamEntry>();
  size = 0;

  add(name: string, shape: number[]): ParamEntry {
    if (this.entries.has(name)) throw new Error(`parameter '${name}' declared twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const entry = { name, offset: this.size, shape, size };
    this.entries.set(name, entry);
    this.size += size;
    return entry;
  }

  get(name: string): ParamEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`no parameter '${name}'`);
    return e;
  }

  /** The slice of `values` (a Float32Array of the whole vector) holding `name`. */
  view(values: Float32Array, name: string): Float32Array {
    const e = this.get(name);
    return values.subarray(e.offset, e.offset + e.size);
  }
}
