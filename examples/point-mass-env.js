// Bring-your-own env example: a 2-D point mass that must be pushed to the origin.
// Any ES module whose default export is an EnvFactory (sim/env.ts) can be trained:
//
//   npx ballbot train --env examples/point-mass-env.js --algo ppo --out runs/point-mass \
//       --set totalSteps=100000
//
// The factory receives { seed, ...options from the config's `env:` block } and returns an
// object with observationSpace, actionSpace, dt, reset(seed?) and step(action) following
// Gymnasium's semantics: `terminated` when the task ends by itself (here: leaving the arena),
// `truncated` when the time limit cuts the episode (training bootstraps from it).

const SIZE = 2; // x, y
const MAX_STEPS = 100;

function box(size, low, high, names) {
  return { shape: [size], low: new Float32Array(size).fill(low), high: new Float32Array(size).fill(high), names };
}

/** A tiny seeded generator so episodes are reproducible (mulberry32). */
function makeRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default function makePointMassEnv(options = {}) {
  const dt = 0.1;
  const pos = new Float64Array(SIZE);
  const vel = new Float64Array(SIZE);
  const obs = new Float32Array(2 * SIZE);
  let random = makeRandom(options.seed ?? 0);
  let steps = 0;

  const observe = () => {
    for (let i = 0; i < SIZE; i++) {
      obs[i] = pos[i];
      obs[SIZE + i] = vel[i];
    }
    return obs;
  };

  return {
    observationSpace: box(2 * SIZE, -Infinity, Infinity, ['x', 'y', 'vx', 'vy']),
    actionSpace: box(SIZE, -1, 1, ['force_x', 'force_y']),
    dt,
    reset(seed) {
      if (seed !== undefined) random = makeRandom(seed);
      for (let i = 0; i < SIZE; i++) {
        pos[i] = (random() * 2 - 1) * 2;
        vel[i] = 0;
      }
      steps = 0;
      return observe();
    },
    step(action) {
      let cost = 0; // quadratic cost; the reward is 1 - cost so staying in the arena pays
      for (let i = 0; i < SIZE; i++) {
        const f = Math.max(-1, Math.min(1, action[i]));
        vel[i] += f * dt;
        pos[i] += vel[i] * dt;
        cost += 0.25 * pos[i] * pos[i] + 0.05 * vel[i] * vel[i] + 0.01 * f * f;
      }
      steps++;
      const outside = Math.hypot(pos[0], pos[1]) > 5;
      return { obs: observe(), reward: outside ? -10 : 1 - Math.min(cost, 2), terminated: outside, truncated: !outside && steps >= MAX_STEPS, info: {} };
    },
  };
}
