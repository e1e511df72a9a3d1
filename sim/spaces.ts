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
