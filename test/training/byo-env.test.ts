// Bring-your-own env: the example module trains through the same path, and bad modules get
// a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTrainConfig } from '../../training/config.js';
import { makeVecEnv } from '../../training/tasks.js';
import { train } from '../../training/train.js';
import { loadRunPolicy } from '../../training/io/run-policy.js';

const example = resolve(import.meta.dirname, '../../../examples/point-mass-env.js');

test('PPO trains on the example env module and exports its policy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'byo-'));
  try {
    const config = parseTrainConfig(
      { algo: 'ppo', task: 'custom', envModule: example, totalSteps: 1024, numEnvs: 4, evalEpisodes: 4, ppo: { stepsPerEnv: 128, numMinibatches: 4, epochs: 2 } },
      'test',
    );
    const result = await train({ config, outDir: dir, progress: false });
    assert.equal(result.envSteps, 1024);
    assert.equal(result.eval!.episodes, 4);
    const policy = loadRunPolicy(dir);
    assert.equal(policy.envInfo.obsSize, 4);
    assert.deepEqual(policy.envInfo.obsNames, ['x', 'y', 'vx', 'vy']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a module without an EnvFactory default export is rejected with a clear message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'byo-bad-'));
  try {
    const bad = join(dir, 'bad.mjs');
    writeFileSync(bad, 'export const notAFactory = 1;\n');
    await assert.rejects(makeVecEnv({ task: 'custom', envModule: bad, options: {} }, 1, 0), /default export must be an EnvFactory/);
    const noStep = join(dir, 'nostep.mjs');
    writeFileSync(noStep, 'export default () => ({ observationSpace: {shape:[1]}, actionSpace: {shape:[1]}, reset() { return new Float32Array(1); } });\n');
    await assert.rejects(makeVecEnv({ task: 'custom', envModule: noStep, options: {} }, 1, 0), /missing step/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
