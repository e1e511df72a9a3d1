// Residual policies on the LQR: the composition is exact and clipped, a zero residual is the
// LQR itself in the real sim, and every loader of an artifact (eval's batch loader, deploy's
// OnnxPolicy) composes the base it declares and refuses a base for another robot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { loadRobotConfig, robotIdentity } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { createLqrController } from '../../sim/lqr.js';
import { ACTION_SIZE, OBS_SIZE } from '../../sim/observation.js';
import { BASE_CONTROLLER_KEY, composeAction, parseBaseControllerSpec } from '../../sim/residual-policy.js';
import { parseResidualOptions, ResidualVecEnv } from '../../sim/residual-vec-env.js';
import { makeBallbotVecEnv } from '../../sim/vec-env.js';
import { propsToMetadata, metadataToProps } from '../../sim/policy-artifact.js';
import { Rng } from '../../sim/rng.js';
import { evaluate, lqrBatchPolicy } from '../../training/evaluate.js';
import { readFileSync } from 'node:fs';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';
import { writeRandomPolicy } from '../../training/io/random-policy.js';

const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const hash = robotIdentity(robot).hash;
const caller = ballbotCaller('test', robot, robot.control.rateHz);

test('composeAction adds the scaled residual, clips to [-1, 1] and ignores a NaN residual', () => {
  const out = new Float32Array(3);
  composeAction([0.2, 0.9, -0.5], [0.5, 1, NaN], 0.4, out);
  assert.ok(Math.abs(out[0] - 0.4) < 1e-6);
  assert.equal(out[1], 1);
  assert.ok(Math.abs(out[2] + 0.5) < 1e-6);
});

test('base controller metadata round-trips and bad values name the key', () => {
  const spec = { kind: 'lqr' as const, residualScale: 0.5, robotHash: hash };
  const file = writeRandomPolicy({ robot, rateHz: robot.control.rateHz, constant: [0, 0, 0], meta: { baseController: spec } });
  {
    const metadata = readArtifactMetadata(readFileSync(file), file);
    assert.deepEqual(metadata.baseController, spec);
    const props = metadataToProps(metadata);
    assert.equal(JSON.parse(props[BASE_CONTROLLER_KEY]).residualScale, 0.5);
    assert.deepEqual(propsToMetadata(props).baseController, spec);
    assert.throws(() => parseBaseControllerSpec('{"kind":"pid","residualScale":0.5,"robotHash":"x"}', 'f.onnx'), /f\.onnx.*ballbot\.base_controller.*kind/);
    assert.throws(() => parseBaseControllerSpec('{"kind":"lqr","residualScale":0,"robotHash":"x"}', 'f.onnx'), /residualScale/);
    assert.throws(() => parseResidualOptions({ scale: 0.5, gain: 1 }, 'c.yaml'), /c\.yaml.*env\.residual.*'gain'/);
    assert.throws(() => parseResidualOptions({ scale: -1 }, 'c.yaml'), /env\.residual\.scale/);
  }
});

test('a zero residual on the real sim is exactly the LQR (same episodes, same returns)', async () => {
  const n = 4, seed = 3;
  const plain = await makeBallbotVecEnv({ task: 'balance', randomize: true, numEnvs: n, seed: 0, workers: 0 });
  const lqrFull = await evaluate(plain, await lqrBatchPolicy(n), seed).finally(() => plain.close());
  const inner = await makeBallbotVecEnv({ task: 'balance', randomize: true, numEnvs: n, seed: 0, workers: 0 });
  const residualEnv = new ResidualVecEnv(inner, robot, 0.5);
  const zero = new Float32Array(n * ACTION_SIZE);
  const res = await evaluate(residualEnv, () => zero, seed).finally(() => residualEnv.close());
  assert.equal(res.episodes, n);
  assert.equal(res.meanReturn, lqrFull.meanReturn);
  assert.equal(res.successRate, lqrFull.successRate);
  assert.equal(res.pushRecoveryRate, lqrFull.pushRecoveryRate);
});

test('the one loader (eval, sim, deploy, HIL, viewer) composes the declared LQR base with the network output', async () => {
  const bias = [0.1, -0.2, 0.05];
  const scale = 0.5;
  const file = writeRandomPolicy({ robot, rateHz: robot.control.rateHz, constant: bias, meta: { baseController: { kind: 'lqr', residualScale: scale, robotHash: hash } } });
  const deployed = await OnnxPolicy.load(file, caller);
  deployed.reset();
  const reference = createLqrController(robot);
  reference.reset();
  const rng = new Rng(11);
  const obs = new Float32Array(OBS_SIZE);
  const base = new Float32Array(ACTION_SIZE);
  const out = new Float32Array(ACTION_SIZE);
  for (let t = 0; t < 100; t++) {
    obs[0] = rng.uniform(-0.1, 0.1); obs[1] = rng.uniform(-0.1, 0.1); obs[2] = -1;
    for (let i = 3; i < 12; i++) obs[i] = rng.uniform(-0.3, 0.3);
    reference.act(obs, base);
    deployed.act(obs, out);
    for (let k = 0; k < ACTION_SIZE; k++) {
      const want = Math.max(-1, Math.min(1, base[k] + scale * bias[k]));
      assert.ok(Math.abs(out[k] - want) < 1e-5, `step ${t} wheel ${k}: deploy ${out[k]} vs ${want}`);
    }
  }
  deployed.close();
});

test('an artifact whose base was designed for another robot is refused at load, naming the file', async () => {
  const file = writeRandomPolicy({ robot, rateHz: robot.control.rateHz, constant: [0, 0, 0], meta: { baseController: { kind: 'lqr', residualScale: 0.5, robotHash: '0000000000000000' } } });
  await assert.rejects(OnnxPolicy.load(file, caller), (err: Error) => err.message.includes(file) && err.message.includes('robot hash'));
});
