// Every shipped training config resolves to a valid env: randomization by name or file,
// reward overrides and the residual block are checked before any training starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { configPath } from '../../sim/config/paths.js';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { parseResidualOptions } from '../../sim/residual-vec-env.js';
import { loadTrainConfig } from '../../training/config.js';
import { isBallbotTask } from '../../training/tasks.js';

test('shipped ballbot training configs resolve (randomization, reward overrides, residual)', () => {
  const dir = configPath('train');
  let residuals = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const config = loadTrainConfig(`${dir}/${name}`);
    if (!isBallbotTask(config.task)) continue;
    const { residual, ...env } = config.env;
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
  const overridden = resolveEnvConfig({ reward: { actionRate: -6 } });
  assert.equal(overridden.task.reward.actionRate, -6, 'env.reward replaces the weight');
  assert.equal(overridden.task.reward.alive, 1, 'other weights stay the task\'s');
  assert.throws(() => resolveEnvConfig({ reward: { actionRat: -1 } as never }), /env\.reward[\s\S]*'actionRat'/);
});
