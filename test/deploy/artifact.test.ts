// Loading policy artifacts with onnxruntime: outputs match the exported network, and an
// artifact made for another observation, robot or rate is refused before anything is armed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { PolicyMismatchError, startDeploy } from '../../deploy/index.js';
import type { LinkHealth, RobotLink, TimedSensorState } from '../../deploy/robot-link.js';
import { mlpForward } from '../../training/networks/mlp-policy-spec.js';
import { Rng } from '../../sim/rng.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { randomMlpSpec, writeRandomPolicy } from '../../training/io/random-policy.js';
import { robot, testConfig } from './harness.js';

test('OnnxPolicy.act (sync native session) equals the network it was exported from', async () => {
  const file = writeRandomPolicy({ robot, rateHz: 100, seed: 5 });
  const policy = await OnnxPolicy.load(file, ballbotCaller('test', robot, 100));
  const spec = randomMlpSpec(5, 15);
  const rng = new Rng(9);
  const obs = new Float32Array(15);
  const out = new Float32Array(3);
  for (let n = 0; n < 200; n++) {
    for (let i = 0; i < 15; i++) obs[i] = rng.uniform(-2, 2);
    policy.act(obs, out);
    const want = mlpForward(spec, obs);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(out[j] - want[j]) < 1e-5, `obs ${n} action ${j}: ${out[j]} vs ${want[j]}`);
  }
  assert.equal(policy.metadata.robotName, robot.name);
  policy.close();
});

/** A link that must never be touched: refusal happens before connecting. */
class UntouchableLink implements RobotLink {
  readonly name = 'untouchable';
  touched: string[] = [];
  async connect() { this.touched.push('connect'); }
  latestState(): TimedSensorState | null { this.touched.push('latestState'); return null; }
  sendCommand() { this.touched.push('sendCommand'); }
  sendEstop() { this.touched.push('sendEstop'); }
  sendArm() { this.touched.push('sendArm'); }
  health(): LinkHealth { return { ok: true, framesOk: 0, framesBad: 0, gaps: 0, rttMs: NaN, silenceMs: 0 }; }
  async close() {}
}

async function refused(file: string, pattern: RegExp) {
  const link = new UntouchableLink();
  await assert.rejects(startDeploy({ policy: file, link, robot, config: testConfig(), arm: true, log: () => {} }), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.match(err.message, pattern);
    assert.match(err.message, /refusing to arm/);
    return true;
  });
  assert.deepEqual(link.touched, [], 'the robot link was never used');
}

test('refused: wrong observation size (14 inputs)', async () => {
  await refused(writeRandomPolicy({ robot, rateHz: 100, obsSize: 14 }), /input 'obs' layout: artifact has 14 entries.*deploy builds 15/);
});

test('refused: trained for another robot', async () => {
  await refused(writeRandomPolicy({ robot, rateHz: 100, meta: { robotName: 'kugle-v1' } }), /robot: artifact is for 'kugle-v1', deploy drives 'ballbot-s1'/);
});

test('refused: same robot name, different parameters', async () => {
  const heavier = { ...robot, body: { ...robot.body, mass: robot.body.mass + 1 } };
  await refused(writeRandomPolicy({ robot: heavier, rateHz: 100 }), /robot parameters: artifact hash [0-9a-f]+, deploy robot 'ballbot-s1' hash/);
});

test('refused: other control rate', async () => {
  await refused(writeRandomPolicy({ robot, rateHz: 200 }), /control rate: artifact trained at 200 Hz, deploy runs at 100 Hz/);
});

test('refused: observation order differs', async () => {
  const layout = ['gyro_x', 'gravity_y', 'gravity_z', 'gravity_x', 'gyro_y', 'gyro_z', 'wheel_vel_0', 'wheel_vel_1', 'wheel_vel_2',
    'prev_action_0', 'prev_action_1', 'prev_action_2', 'cmd_vx', 'cmd_vy', 'cmd_yaw_rate'];
  await refused(writeRandomPolicy({ robot, rateHz: 100, meta: { observationLayout: layout } }), /entry 0 is 'gyro_x' in the artifact but 'gravity_x' in deploy/);
});

test('a file that is not a policy artifact is refused with its name', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'ballbot-bad-')), 'bad.onnx');
  writeFileSync(file, 'not an onnx model at all');
  await assert.rejects(OnnxPolicy.load(file, ballbotCaller('test', robot, 100)), (err: Error) => err.message.includes(file));
});
