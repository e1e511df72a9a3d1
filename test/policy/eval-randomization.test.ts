// `ballbot eval --randomization FILE`: the file is validated like every config (errors name the
// file and the key), the shipped stress sets widen the default ranges where real robots differ,
// and the same controller really does worse on them (same held-out seeds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { configPath, DEFAULT_RANDOMIZATION_CONFIG } from '../../sim/config/paths.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { evaluateLqr } from '../../training/evaluate.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const run = promisify(execFile);
const STRESS = ['stress.yaml', 'stress-b.yaml'].map((f) => configPath('randomization', f));

test('eval --randomization rejects a bad file naming the file and the key, before any episode runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-rand-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'bodyMassScale: [0.8, 1.2]\nbogus: 1\n');
  await assert.rejects(run(process.execPath, [BIN, 'eval', '--controller', 'lqr', '--randomization', bad, '--episodes', '2', '--json']), (err: Error & { stderr: string }) => {
    assert.match(err.stderr, new RegExp(`${bad.replace(/[/.]/g, '\\$&')}`));
    assert.match(err.stderr, /unknown key 'bogus'/);
    assert.match(err.stderr, /imuBias/);
    return true;
  });
  const range = join(dir, 'range.yaml');
  const text = (await import('node:fs')).readFileSync(STRESS[0], 'utf8').replace('motorStrength: [0.55, 1.1]', 'motorStrength: [1.1, 0.55]');
  writeFileSync(range, text);
  await assert.rejects(run(process.execPath, [BIN, 'eval', '--controller', 'lqr', '--randomization', range, '--episodes', '2']), (err: Error & { stderr: string }) => {
    assert.match(err.stderr, /range\.yaml/);
    assert.match(err.stderr, /motorStrength: range must be \[low, high\]/);
    return true;
  });
  await assert.rejects(run(process.execPath, [BIN, 'eval', '--controller', 'lqr', '--randomization', join(dir, 'none.yaml')]), /none\.yaml[\s\S]*cannot read file/);
});

test('the stress sets widen what real robots get wrong: latency, motor strength, noise, CoM, IMU bias, pushes', () => {
  const d = loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG);
  for (const file of STRESS) {
    const s = loadRandomizationConfig(file);
    assert.ok(s.actionLatencyS[1] >= 0.02 && s.actionLatencyS[1] <= 0.03, `${file} latency`);
    assert.ok(s.motorStrength[0] >= 0.5 && s.motorStrength[0] <= 0.6, `${file} motor strength`);
    assert.ok(s.sensorNoiseScale[1] >= 3, `${file} sensor noise`);
    assert.equal(s.comOffsetM, 0.04);
    assert.equal(s.imuBiasScale, 2);
    assert.ok(s.pushes.velocityMps[1] >= 1.2 && s.pushes.velocityMps[1] <= 1.5, `${file} pushes`);
    assert.ok(s.pushes.velocityMps[1] > d.pushes.velocityMps[1] && s.actionLatencyS[1] > d.actionLatencyS[1]);
  }
  assert.notDeepEqual(loadRandomizationConfig(STRESS[0]), loadRandomizationConfig(STRESS[1]), 'two independent sets');
  assert.equal(d.imuBiasScale, 1, 'files without the key keep the nominal IMU bias');
  assert.deepEqual(loadRandomizationConfig('stress'), loadRandomizationConfig(STRESS[0]), 'a shipped set by name');
});

test('the LQR on the same held-out seeds is pushed harder on the stress set than on the default ranges', async () => {
  const base = await evaluateLqr('balance', 8, 777, true);
  const stress = await evaluateLqr('balance', 8, 777, STRESS[1]);
  assert.ok(stress.maxTiltDeg! > base.maxTiltDeg!, `max tilt ${stress.maxTiltDeg} vs ${base.maxTiltDeg}`);
  assert.ok(stress.meanActionChange > base.meanActionChange, `action change ${stress.meanActionChange} vs ${base.meanActionChange}`);
});
