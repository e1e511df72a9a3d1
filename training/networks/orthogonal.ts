// Orthogonal weight init (Saxe et al.), seeded by our Rng so a run is reproducible:
// a Gaussian matrix orthonormalized by modified Gram-Schmidt, times `gain`.
import type { Rng } from '../../sim/rng.js';

/** Returns [rows x cols] row-major with orthonormal columns (rows >= cols) or rows, times gain. */
export function orthogonalMatrix(rng: Rng, rows: number, cols: number, gain: number): Float32Array {
  const tall = rows >= cols;
  const len = tall ? rows : cols; // length of each vector
  const count = tall ? cols : rows; // number of orthonormal vectors
  const v = new Float64Array(count * len);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  for (let k = 0; k < count; k++) {
    const vk = v.subarray(k * len, (k + 1) * len);
    for (let p = 0; p < k; p++) {
      const vp = v.subarray(p * len, (p + 1) * len);
      let dot = 0;
      for (let i = 0; i < len; i++) dot += vk[i] * vp[i];
      for (let i = 0; i < len; i++) vk[i] -= dot * vp[i];
    }
    let norm = 0;
    for (let i = 0; i < len; i++) norm += vk[i] * vk[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < len; i++) vk[i] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? v[c * len + r] : v[r * len + c]);
  return out;
}
