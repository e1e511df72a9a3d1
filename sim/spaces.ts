// Gymnasium-style Box space: a fixed-size vector of float32 with per-element bounds.
export interface BoxSpace {
  readonly shape: readonly [number];
  readonly low: Float32Array;
  readonly high: Float32Array;
  /** Names of the elements, in order (the observation layout deploy checks). */
  readonly names?: readonly string[];
}

export function box(size: number, low: number | ArrayLike<number>, high: number | ArrayLike<number>, names?: readonly string[]): BoxSpace {
  if (names && names.length !== size) throw new Error(`box: ${names.length} names for ${size} elements`);
  const fill = (v: number | ArrayLike<number>) =>
    typeof v === 'number' ? new Float32Array(size).fill(v) : Float32Array.from(v as ArrayLike<number>);
  return { shape: [size], low: fill(low), high: fill(high), names };
}

/**
 * A named extra observation beside the flat `obs` vector (a depth image, a height scan):
 * a float32 tensor per env, row-major in `shape`, with its units and the value that marks a
 * missing reading. Batches hold n such tensors back to back.
 */
export interface TensorSpace {
  readonly shape: readonly number[];
  readonly low: number;
  readonly high: number;
  readonly units: string;
  /** How the elements are ordered (row-major axes and their directions). */
  readonly layout: string;
  /** Value of an element with no reading. */
  readonly missing: number;
  /** New readings per second (held between readings). */
  readonly rateHz: number;
}

export function tensorSize(space: TensorSpace): number {
  return space.shape.reduce((a, b) => a * b, 1);
}
