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
  return finishPatch(heights, size, cells);
}

/** Flatten the start pad and lift the patch onto the slab; every terrain kind ends here. */
function finishPatch(heights: Float32Array, size: number, cells: number): Terrain {
  const n = cells + 1;
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

// Harder terrain kinds for the curriculum. Each is a heightfield on the same patch as the
// rough terrain, scaled by a difficulty in [0, 1] (1 = the hardest the task should see).
export const TERRAIN_KINDS = ['flat', 'rough', 'slopes', 'steps', 'bumps', 'mixed'] as const;
export type TerrainKind = (typeof TERRAIN_KINDS)[number];

/** What difficulty 1 means for each kind. */
export const TERRAIN_HARDEST = {
  /** Ramp angle of the slopes, deg. */
  slopeDeg: 12,
  /** Step height, m (a third of the default ball radius). */
  stepHeightM: 0.04,
  /** Peak height of a bump, m. */
  bumpHeightM: 0.08,
} as const;

/**
 * The new kinds keep a flat start area of this radius in their own pattern (blending a
 * tall pattern down to the pad would make a cliff around it).
 */
const START_FLAT_M = 1;

/** Ridges of planar ramps: a triangle wave along a random direction, period 2.5-4 m. */
export function generateSlopes(seed: number, difficulty: number): Terrain {
  const { size, cells } = TERRAIN_DEFAULTS;
  const rng = new Rng(seed);
  const dir = rng.uniform(0, Math.PI), period = rng.uniform(2.5, 4);
  const rise = Math.tan((difficulty * TERRAIN_HARDEST.slopeDeg * Math.PI) / 180) * (period / 2);
  return fillPatch(size, cells, (x, y) => {
    // Flat in a strip through the start, ramps from its edges outward.
    const u = Math.max(0, Math.abs(x * Math.cos(dir) + y * Math.sin(dir)) - START_FLAT_M) / period;
    const f = u - Math.floor(u);
    return rise * (1 - Math.abs(2 * f - 1));
  });
}

/** Blocks of 1 m with heights of 0, 1 or 2 steps: steps up and down in every direction. */
export function generateSteps(seed: number, difficulty: number): Terrain {
  // A finer grid keeps the step faces steep (one 0.1 m cell wide).
  const size = TERRAIN_DEFAULTS.size, cells = 240, block = 1;
  const rng = new Rng(seed);
  const blocks = Math.ceil(size / block);
  const level = Uint8Array.from({ length: blocks * blocks }, () => rng.int(3));
  const step = difficulty * TERRAIN_HARDEST.stepHeightM;
  return fillPatch(size, cells, (x, y) => {
    if (Math.max(Math.abs(x), Math.abs(y)) < START_FLAT_M) return 0;
    const bx = Math.min(blocks - 1, Math.floor((x + size / 2) / block));
    const by = Math.min(blocks - 1, Math.floor((y + size / 2) / block));
    return step * level[by * blocks + bx];
  });
}

/** Round bumps (Gaussian profiles) scattered over the patch. */
export function generateBumps(seed: number, difficulty: number): Terrain {
  const { size, cells } = TERRAIN_DEFAULTS;
  const rng = new Rng(seed);
  const count = 80;
  const bumps = new Float64Array(4 * count); // x, y, height, sigma
  for (let k = 0; k < count; k++) {
    const s = rng.uniform(0.2, 0.5);
    let x = 0, y = 0;
    // Keep the start area clear: a bump's centre lies three sigmas beyond it.
    while (Math.hypot(x, y) < START_FLAT_M + 3 * s) {
      x = rng.uniform(-size / 2, size / 2);
      y = rng.uniform(-size / 2, size / 2);
    }
    bumps[4 * k] = x;
    bumps[4 * k + 1] = y;
    bumps[4 * k + 2] = difficulty * TERRAIN_HARDEST.bumpHeightM * rng.uniform(0.5, 1);
    bumps[4 * k + 3] = s;
  }
  return fillPatch(size, cells, (x, y) => {
    let h = 0;
    for (let k = 0; k < count; k++) {
      const dx = x - bumps[4 * k], dy = y - bumps[4 * k + 1], s = bumps[4 * k + 3];
      h += bumps[4 * k + 2] * Math.exp(-(dx * dx + dy * dy) / (2 * s * s));
    }
    return h;
  });
}

function fillPatch(size: number, cells: number, heightAt: (x: number, y: number) => number): Terrain {
  const n = cells + 1;
  const heights = new Float32Array(n * n);
  for (let iy = 0; iy < n; iy++) {
    for (let ix = 0; ix < n; ix++) heights[iy * n + ix] = heightAt((ix / cells - 0.5) * size, (iy / cells - 0.5) * size);
  }
  return finishPatch(heights, size, cells);
}

/**
 * The terrain of one episode: null for flat ground. `rough` draws exactly as before
 * (one seed from rng, amplitude = roughness); the other kinds draw a difficulty from
 * `difficulty` shrunk by the curriculum level, and `mixed` picks one kind per episode.
 */
export function episodeTerrain(
  kind: TerrainKind,
  rng: Rng,
  roughness: number,
  difficulty: readonly [number, number] = [1, 1],
  curriculumLevel = 1,
): Terrain | null {
  if (kind === 'flat') return null;
  if (kind === 'rough') return generateTerrain(rng.nextU32(), roughness);
  const [lo, hi] = difficulty;
  const d = rng.uniform(lo, lo + (hi - lo) * Math.min(Math.max(curriculumLevel, 0), 1));
  const picked = kind === 'mixed' ? (['rough', 'slopes', 'steps', 'bumps'] as const)[rng.int(4)] : kind;
  const seed = rng.nextU32();
  if (picked === 'rough') return generateTerrain(seed, roughness * d);
  if (picked === 'slopes') return generateSlopes(seed, d);
  if (picked === 'steps') return generateSteps(seed, d);
  return generateBumps(seed, d);
}
