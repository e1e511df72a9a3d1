// Procedural uneven terrain: a seeded fractal value-noise heightfield. Amplitudes are
// chosen so slopes resemble OpenBallBot-RL's terrain (median ~8 deg, max ~25 deg).
import { Rng } from './rng.js';

export interface Terrain {
  /** Side length of the square patch, m; centred on its origin. */
  size: number;
  /** Cells per side; heights has (cells + 1)^2 entries, row-major over (iy, ix). */
  cells: number;
  heights: Float32Array;
}

export interface TerrainOptions {
  size?: number;
  cells?: number;
  /** Height of the coarsest octave, m (scaled by the randomized roughness). */
  amplitude?: number;
  /** Wavelength of the coarsest octave, m. */
  wavelength?: number;
  octaves?: number;
}

export const TERRAIN_DEFAULTS = { size: 24, cells: 120, amplitude: 0.22, wavelength: 4, octaves: 4 } as const;

export function generateTerrain(seed: number, roughness: number, options: TerrainOptions = {}): Terrain {
  const { size, cells, amplitude, wavelength, octaves } = { ...TERRAIN_DEFAULTS, ...options };
  const rng = new Rng(seed);
  const n = cells + 1;
  const heights = new Float32Array(n * n);
  let amp = amplitude * roughness;
  let wl = wavelength;
  for (let o = 0; o < octaves; o++) {
    const lattice = Math.ceil(size / wl) + 2;
    const values = new Float32Array(lattice * lattice);
    for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1);
    for (let iy = 0; iy < n; iy++) {
      for (let ix = 0; ix < n; ix++) {
        const u = (ix / cells) * (size / wl), v = (iy / cells) * (size / wl);
        heights[iy * n + ix] += amp * smoothLattice(values, lattice, u, v);
      }
    }
    amp *= 0.5;
    wl *= 0.5;
  }
  // Flatten a small pad at the centre so every episode starts on level ground.
  const pad = 0.5;
  for (let iy = 0; iy < n; iy++) {
    for (let ix = 0; ix < n; ix++) {
      const x = (ix / cells - 0.5) * size, y = (iy / cells - 0.5) * size;
      const r = Math.hypot(x, y);
      const blend = r < pad ? 0 : r < 2 * pad ? (r - pad) / pad : 1;
      heights[iy * n + ix] *= blend;
    }
  }
  // Lift the patch so its lowest point is z = 0: robots share a flat slab at z = 0 and the
  // terrain must lie on top of it.
  let min = Infinity;
  for (let i = 0; i < heights.length; i++) min = Math.min(min, heights[i]);
  for (let i = 0; i < heights.length; i++) heights[i] -= min;
  return { size, cells, heights };
}

function smoothLattice(values: Float32Array, lattice: number, u: number, v: number): number {
  const x0 = Math.floor(u), y0 = Math.floor(v);
  const fx = u - x0, fy = v - y0;
  const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
  const at = (x: number, y: number) => values[Math.min(y, lattice - 1) * lattice + Math.min(x, lattice - 1)];
  const a = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * sx;
  const b = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * sx;
  return a + (b - a) * sy;
}

/** Height at local (x, y) by bilinear interpolation (Rapier's triangles agree within a few mm). */
export function terrainHeightAt(t: Terrain, x: number, y: number): number {
  const n = t.cells + 1;
  const gx = Math.min(Math.max((x / t.size + 0.5) * t.cells, 0), t.cells - 1e-9);
  const gy = Math.min(Math.max((y / t.size + 0.5) * t.cells, 0), t.cells - 1e-9);
  const ix = Math.floor(gx), iy = Math.floor(gy);
  const fx = gx - ix, fy = gy - iy;
  const h = t.heights;
  const a = h[iy * n + ix] + (h[iy * n + ix + 1] - h[iy * n + ix]) * fx;
  const b = h[(iy + 1) * n + ix] + (h[(iy + 1) * n + ix + 1] - h[(iy + 1) * n + ix]) * fx;
  return a + (b - a) * fy;
}

/** Slope angles (deg) of every cell, for checking the terrain statistics. */
export function terrainSlopesDeg(t: Terrain): Float32Array {
  const n = t.cells + 1;
  const cell = t.size / t.cells;
  const out = new Float32Array(t.cells * t.cells);
  for (let iy = 0; iy < t.cells; iy++) {
    for (let ix = 0; ix < t.cells; ix++) {
      const h = t.heights;
      const dx = (h[iy * n + ix + 1] - h[iy * n + ix]) / cell;
      const dy = (h[(iy + 1) * n + ix] - h[iy * n + ix]) / cell;
      out[iy * t.cells + ix] = (Math.atan(Math.hypot(dx, dy)) * 180) / Math.PI;
    }
  }
  return out;
}
