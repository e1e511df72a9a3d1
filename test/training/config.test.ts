// Training configs: every shipped file validates; overrides keep types; errors name the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { configPath } from '../../sim/config/paths.js';
import { ConfigError } from '../../sim/config/yaml.js';
import { loadTrainConfig } from '../../training/config.js';

test('every shipped training config validates', () => {
  const dir = configPath('train');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const c = loadTrainConfig(`${dir}/${f}`);
    assert.ok(f.startsWith(c.algo), `${f} has algo ${c.algo}`);
  }
});

test('overrides from the command line are typed and validated', () => {
  const file = configPath('train', 'ppo-pendulum.yaml');
  const c = loadTrainConfig(configPath('train', 'ppo-balance.yaml'), ['ppo.lr=1e-4', 'network.actor=[32, 16]', 'ppo.targetKl=0.02', 'env.randomize=false']);
  assert.equal(c.ppo.lr, 1e-4);
  assert.deepEqual(c.network.actor, [32, 16]);
  assert.equal(c.ppo.targetKl, 0.02);
  assert.equal(c.env.randomize, false);
  assert.throws(() => loadTrainConfig(file, ['ppo.lrr=1']), (e: unknown) => e instanceof ConfigError && /ppo: unknown key 'lrr'/.test(e.message));
  assert.throws(() => loadTrainConfig(file, ['ppo.gamma=1.5']), (e: unknown) => e instanceof ConfigError && /ppo\.gamma/.test(e.message));
  assert.throws(() => loadTrainConfig(file, ['numEnvs=two']), (e: unknown) => e instanceof ConfigError && /numEnvs/.test(e.message));
});
