// The one loader feeds named inputs besides 'obs' (a depth image, a height scan) from act()'s
// extras, refuses at load a caller that cannot feed one, and throws, naming the input, when a
// tick comes without it (deploy turns that into zero torque and a latched e-stop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { ballbotCaller, PolicyMismatchError } from '../../sim/artifact-check.js';
import { OBSERVATION_LAYOUT } from '../../sim/observation.js';
import { writeExtraInputPolicy } from '../sim/extra-input-policy.js';
import { robot } from './harness.js';

const LAYOUT = Array.from({ length: 6 }, (_, i) => `height_${i}`);

function artifact(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-extra-'));
  return writeExtraInputPolicy(writeRandomPolicy({ robot, rateHz: robot.control.rateHz, dir }), dir, { name: 'height_scan', layout: LAYOUT, scale: 0.5, units: 'm', rateHz: 20 });
}

test('extra inputs: fed from extras every tick, declared on the policy', async () => {
  const file = artifact();
  const policy = await OnnxPolicy.load(file, ballbotCaller('ballbot eval', robot, robot.control.rateHz, { inputs: { obs: OBSERVATION_LAYOUT, height_scan: LAYOUT } }));
  try {
    assert.deepEqual(policy.extraInputs.map((i) => [i.name, i.shape, i.units, i.rateHz]), [['height_scan', [1, 6], 'm', 20]]);
    const obs = new Float32Array(15), out = new Float32Array(3);
    for (const h of [0.2, -0.4]) {
      policy.act(obs, out, { height_scan: Float32Array.from([h, 9, 9, 9, 9, 9]) });
      for (const a of out) assert.ok(Math.abs(a - 0.5 * h) < 1e-6, `action ${a} = 0.5 x ${h}`);
    }
    assert.throws(() => policy.act(obs, out), /input 'height_scan' needs 6 values each tick, got none/);
    assert.throws(() => policy.act(obs, out, { height_scan: new Float32Array(5) }), /input 'height_scan' needs 6 values each tick, got 5/);
  } finally {
    policy.close();
  }
});

test('extra inputs: a caller that cannot feed one refuses the artifact at load, naming it', async () => {
  const file = artifact();
  await assert.rejects(OnnxPolicy.load(file, ballbotCaller('deploy', robot, robot.control.rateHz)), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.match(err.message, /input 'height_scan': deploy cannot feed it/);
    return true;
  });
});
