// The curriculum over randomization width (config `curriculum`): the level grows linearly with the
// env steps from startLevel to 1 and is logged per iteration; it reaches the envs (a run held at
// level 1 is the run without a curriculum, one starting at level 0 is not); a resumed run sets the
// same levels as the uninterrupted one; the config refuses what cannot apply it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { train } from '../../training/train.js';
import { metricRows } from './metric-rows.js';

let dir: string;
before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-curriculum-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const STEPS_PER_ITERATION = 16 * 32;

function config(over: Record<string, unknown> = {}) {
  return parseTrainConfig({
    algo: 'ppo', task: 'balance', seed: 5, totalSteps: 8 * STEPS_PER_ITERATION, numEnvs: 16, workers: 2, evalEpisodes: 0,
    env: { randomize: true }, network: { actor: [32], critic: [32] },
    ppo: { stepsPerEnv: 32, epochs: 2, numMinibatches: 2 },
    ...over,
  }, 'test');
}

/** What a run learned from, iteration by iteration (wall time and speed left out). */
const learned = (rows: Record<string, string>[]) => rows.map((r) => [r.episode_return, r.policy_loss, r.value_loss, r.curriculum_level]);

async function run(name: string, cfg: ReturnType<typeof config>, maxIterations?: number, resume = false) {
  const outDir = join(dir, name);
  await train({ config: cfg, outDir, progress: false, skipFinish: true, maxIterations, resume });
  return metricRows(outDir);
}

test('the level ramps with the env steps and reaches the envs; a resumed run sets the same levels', async () => {
  const ramp = { curriculum: { startLevel: 0.2, rampSteps: 4 * STEPS_PER_ITERATION } };
  const rows = await run('ramp', config(ramp));
  assert.deepEqual(rows.map((r) => Number(r.curriculum_level)), [0.2, 0.4, 0.6, 0.8, 1, 1, 1, 1].map((l) => Number(l.toPrecision(6))));

  const plain = await run('plain', config());
  assert.ok(plain.every((r) => r.curriculum_level === ''), 'no level is logged without a curriculum');
  const atOne = await run('at-one', config({ curriculum: { startLevel: 1, rampSteps: 1 } }));
  assert.deepEqual(learned(atOne).map((r) => r.slice(0, 3)), learned(plain).map((r) => r.slice(0, 3)), 'level 1 is the full randomization');
  const atZero = await run('at-zero', config({ curriculum: { startLevel: 0, rampSteps: 1e9 } }));
  assert.notDeepEqual(learned(atZero).map((r) => r.slice(0, 3)), learned(plain).map((r) => r.slice(0, 3)), 'level 0 changes the episodes');

  // A resume restarts the envs (so the episodes differ), but the level follows the env steps.
  await run('resumed', config(ramp), 3);
  const resumed = await run('resumed', config(ramp), undefined, true);
  assert.deepEqual(resumed.map((r) => r.curriculum_level), rows.map((r) => r.curriculum_level));
});

test('the config refuses a curriculum it cannot apply, naming curriculum', () => {
  assert.throws(() => config({ curriculum: { startLevel: 0.5, rampSteps: 100 }, env: { randomize: false } }), /curriculum.*env\.randomize is false/s);
  assert.throws(() => config({ curriculum: { startLevel: 0.5, rampSteps: 100 }, ppo: { mode: 'async' } }), /curriculum.*synchronous PPO/s);
  assert.throws(() => config({ curriculum: { startLevel: 0.5, rampSteps: 100 }, task: 'pendulum', env: {} }), /curriculum.*ballbot task/s);
  assert.throws(() => config({ curriculum: { startLevel: 1.5, rampSteps: 100 } }), /curriculum\.startLevel/);
});
