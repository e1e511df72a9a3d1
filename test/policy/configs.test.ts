// Every shipped training config resolves to a valid env: randomization by name or file,
// reward overrides, the residual, memory and history blocks are checked before any training starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { configPath } from '../../sim/config/paths.js';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { parseResidualOptions } from '../../sim/residual-vec-env.js';
import { parseTrackingMemoryOptions } from '../../sim/tracking-memory.js';
import { parseObservationHistoryOptions } from '../../sim/observation-history.js';
import { loadTrainConfig } from '../../training/config.js';
import { isBallbotTask } from '../../training/tasks.js';

test('shipped ballbot training configs resolve (randomization, reward overrides, residual)', () => {
  const dir = configPath('train');
  let residuals = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const config = loadTrainConfig(`${dir}/${name}`);
    if (!isBallbotTask(config.task)) continue;
    const { residual, memory, history, ...env } = config.env;
    if (memory !== undefined) assert.ok(parseTrackingMemoryOptions(memory, name).leakSeconds > 0);
    if (history !== undefined) assert.ok(parseObservationHistoryOptions(history, name).steps >= 2);
    const resolved = resolveEnvConfig({ ...env, task: config.task });
    assert.ok(resolved.randomization, `${name}: randomized`);
    if (residual !== undefined) {
      residuals++;
      assert.ok(parseResidualOptions(residual, name).scale > 0);
    }
  }
  assert.ok(residuals >= 2, 'velocity and terrain ship residual configs');
  const balance = resolveEnvConfig(loadTrainConfig(configPath('train', 'ppo-balance.yaml')).env);
  assert.deepEqual(balance.randomization?.actionLatencyS, [0, 0.03], 'the main config trains on train-robust');
  // The velocity memory config is the balance recipe on the velocity task, plus env.memory.
  const main = loadTrainConfig(configPath('train', 'ppo-balance.yaml'));
  const memory = loadTrainConfig(configPath('train', 'ppo-velocity-memory.yaml'));
  assert.equal(memory.task, 'velocity');
  assert.deepEqual(memory.env.memory, { leakSeconds: 4, clipM: 0.5 });
  assert.deepEqual([memory.ppo, memory.network, memory.env.randomize, memory.evalRandomization, memory.evalSeed], [main.ppo, main.network, main.env.randomize, main.evalRandomization, main.evalSeed]);
  // The experimental imitation config: that recipe plus the LQR imitation warm start.
  const imitate = loadTrainConfig(configPath('train', 'ppo-velocity-imitate.yaml'));
  assert.deepEqual(imitate.ppo.imitation, { teacher: 'lqr', coef: 1, iterations: 150, keep: 0.2 });
  assert.deepEqual(imitate.env, memory.env);
  assert.deepEqual({ ...imitate.ppo, imitation: undefined, initLogStd: 0 }, { ...memory.ppo, imitation: undefined, initLogStd: 0 });
  // The committed velocity policy's config: the imitation recipe plus 8 observations of history, anchored at 0.5.
  const history = loadTrainConfig(configPath('train', 'ppo-velocity-history.yaml'));
  assert.deepEqual(history.env, { ...imitate.env, history: { steps: 8 } });
  assert.deepEqual([{ ...history.ppo, imitation: { ...history.ppo.imitation!, keep: 0.2 } }, history.network, history.totalSteps, history.seed], [imitate.ppo, imitate.network, imitate.totalSteps, imitate.seed]);
  assert.equal(history.ppo.imitation?.keep, 0.5);
  const overridden = resolveEnvConfig({ reward: { actionRate: -6 } });
  assert.equal(overridden.task.reward.actionRate, -6, 'env.reward replaces the weight');
  assert.equal(overridden.task.reward.alive, 1, 'other weights stay the task\'s');
  assert.throws(() => resolveEnvConfig({ reward: { actionRat: -1 } as never }), /env\.reward[\s\S]*'actionRat'/);
});
