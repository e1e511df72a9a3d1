// The training env's full output (observations, rewards, privileged state, terminations,
// episode statistics) over 1500 steps of random, out-of-range and NaN actions with domain
// randomization, pushes and commands, hashed. The digests were recorded from the env before
// actuation (sim/observation.ts actionToTorque, motor strength in sim/motor.ts) and the
// reward (sim/reward.ts) moved into their own code paths: the refactor is bit-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BallbotBatch } from '../../sim/ballbot-batch.js';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { Rng } from '../../sim/rng.js';

const RECORDED = { balance: 'ebb471196bcb6ef5', velocity: 'fbddc837235d3cad', terrain: '17ad95fab175a5d3' } as const;

async function trace(task: keyof typeof RECORDED): Promise<string> {
  const batch = await BallbotBatch.create({ ...resolveEnvConfig({ task, randomize: true }), numEnvs: 4, seed: 7 });
  const rng = new Rng(3);
  const h = createHash('sha256');
  const actions = new Float32Array(12);
  try {
    for (let t = 0; t < 1500; t++) {
      for (let i = 0; i < 12; i++) actions[i] = rng.uniform(-1.3, 1.3) * (t % 50 === 0 ? NaN : 1);
      batch.step(actions);
      for (const a of [batch.obs, batch.rewards, batch.privileged, batch.terminated, batch.truncated, batch.episodeStats]) h.update(Buffer.from(a.buffer));
    }
  } finally {
    batch.close();
  }
  return h.digest('hex').slice(0, 16);
}

for (const task of Object.keys(RECORDED) as (keyof typeof RECORDED)[]) {
  test(`${task}: the env's output is bit-identical to the recorded trace`, async () => {
    assert.equal(await trace(task), RECORDED[task]);
  });
}
