// Training configs whose keys are each valid but contradict one another are refused by the
// schema with a message naming the keys (not a raw tfjs error, not a silent no-op).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configPath } from '../../sim/config/paths.js';
import { ConfigError } from '../../sim/config/yaml.js';
import { loadTrainConfig } from '../../training/config.js';

function refused(file: string, overrides: string[], ...fragments: string[]): void {
  assert.throws(() => loadTrainConfig(file, overrides), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `message should mention '${f}': ${err.message}`);
    return true;
  });
}

test('SAC logStdMin must be below logStdMax', () => {
  const file = configPath('train', 'sac-pendulum.yaml');
  refused(file, ['sac.logStdMin=3', 'sac.logStdMax=2'], 'sac.logStdMin', 'sac.logStdMax');
  refused(file, ['sac.logStdMin=2', 'sac.logStdMax=2'], 'sac.logStdMin');
  assert.equal(loadTrainConfig(file, ['sac.logStdMin=-5', 'sac.logStdMax=1']).sac.logStdMin, -5);
});

test('PPO numMinibatches must leave at least two samples per minibatch', () => {
  const file = configPath('train', 'ppo-pendulum.yaml');
  const base = loadTrainConfig(file);
  const batch = base.ppo.stepsPerEnv * base.numEnvs;
  refused(file, [`ppo.numMinibatches=${batch + 1}`], 'ppo.numMinibatches', `batch of ${batch}`, 'ppo.stepsPerEnv', 'numEnvs');
  refused(file, [`ppo.numMinibatches=${Math.floor(batch / 2) + 1}`], 'ppo.numMinibatches');
  assert.equal(loadTrainConfig(file, [`ppo.numMinibatches=${Math.floor(batch / 2)}`]).ppo.numMinibatches, Math.floor(batch / 2));
  // The check is PPO's: another algorithm's config keeps its ppo section's defaults unchecked.
  assert.equal(loadTrainConfig(configPath('train', 'sac-pendulum.yaml'), ['numEnvs=1']).algo, 'sac');
});

test('a seed beyond 32 bits (which the RNG would alias) is refused in the config', () => {
  const file = configPath('train', 'ppo-pendulum.yaml');
  refused(file, ['seed=4294967296'], 'seed', '32-bit');
  assert.equal(loadTrainConfig(file, ['seed=4294967295']).seed, 4294967295);
});

test('env options a built-in task does not read, and unknown tasks, are refused naming the key', () => {
  refused(configPath('train', 'ppo-balance.yaml'), ['env.randomise=false'], 'env', "'randomise'", 'robot, randomize');
  refused(configPath('train', 'ppo-pendulum.yaml'), ['env.randomize=true'], 'task pendulum', 'no env options');
  refused(configPath('train', 'ppo-pendulum.yaml'), ['task=balanse'], "unknown task 'balanse'");
  assert.equal(loadTrainConfig(configPath('train', 'ppo-balance.yaml'), ['env.randomize=false']).env.randomize, false);
  // A bring-your-own env module takes any options.
  assert.equal(loadTrainConfig(configPath('train', 'ppo-custom.yaml'), ['envModule=/x/env.js', 'env.anything=1']).env.anything, 1);
});
