// A perceptive PPO actor (height scan through an MLP encoder, depth image through a small CNN,
// features concatenated with the normalized obs) computes the same action everywhere it runs:
// the tfjs graph the update differentiates, the plain-JS rollout forward, the exported spec's
// float64 reference and the ONNX graph in onnxruntime through the one loader, fed by a caller
// that declares the inputs with the one layout function. The file is checker-clean at opset
// 17; the encoders' gradient matches finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../training/backend.js';
import { EncoderKernels } from '../../training/networks/encoder-kernels.js';
import { assembleTrunkInput } from '../../training/networks/encoders.js';
import { mlpTensor } from '../../training/networks/mlp-tensor.js';
import { ppoActorSpec, specActions } from '../../training/io/run-policy.js';
import { exportMlpPolicyOnnx } from '../../training/io/onnx-export.js';
import type { Rng } from '../../sim/rng.js';
import { perceptionLayout } from '../../sim/perception/layout.js';
import { ballbotCaller, PolicyMismatchError } from '../../sim/artifact-check.js';
import { OBSERVATION_LAYOUT } from '../../sim/observation.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { config, envInfoWith, perceptiveMetadata, randomAgent, robot } from './perceptive-fixture.js';

const extras = [{ name: 'height_scan', shape: [11, 11] }, { name: 'depth', shape: [24, 32] }];
const info = envInfoWith(extras);
const metadata = () => perceptiveMetadata(['height_scan', 'depth']);

/** Raw inputs as the sim gives them: depth in [0.1, 4] m and heights +-0.2 m, with missing readings (0). */
function randomInputs(rng: Rng, n: number): { obs: Float32Array; extraRows: Record<string, Float32Array> } {
  const reading = (v: number) => (rng.next() < 0.1 ? 0 : v);
  return {
    obs: Float32Array.from({ length: n * 15 }, () => rng.normal() * 2),
    extraRows: {
      height_scan: Float32Array.from({ length: n * 121 }, () => reading((rng.next() - 0.5) * 0.4)),
      depth: Float32Array.from({ length: n * 768 }, () => reading(0.1 + rng.next() * 3.9)),
    },
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('perceptive actor: tfjs graph, JS rollout forward, exported spec and ONNX (via the one loader) agree on random inputs', async () => {
  const { agent, rng } = await randomAgent(7, extras);
  const n = 16;
  const { obs, extraRows } = randomInputs(rng, n);
  const mean = Float32Array.from({ length: 15 }, () => rng.normal() * 0.5);
  const std = Float32Array.from({ length: 15 }, () => 0.5 + rng.next() * 2);
  const norm = { obsMean: mean, obsStd: std, obsClip: 10 };
  const normalized = obs.map((v, i) => Math.min(10, Math.max(-10, (v - mean[i % 15]) / std[i % 15])));

  // The tfjs actor: encoders through the kernels the update uses, trunk through mlpTensor.
  const width = agent.actorDef.sizes[0];
  const features = agent.policy.encoders.map((def) => new EncoderKernels(agent.layout, def).forward(agent.values, extraRows[def.input], n));
  const trunkIn = assembleTrunkInput(new Float32Array(n * width), width, [normalized, ...features], n);
  const tfjsMean = tf.tidy(() => mlpTensor(agent.layout, tf.tensor1d(agent.values), agent.actorDef, tf.tensor2d(trunkIn, [n, width])).dataSync() as Float32Array);
  const tfjsAction = tfjsMean.map((v) => Math.min(1, Math.max(-1, v)));
  assert.ok(tfjsAction.some((v) => Math.abs(v) > 0.05 && Math.abs(v) < 1), 'actions are neither ~0 nor all clipped');

  // The rollout forward (plain JS).
  const jsMean = agent.meanAction(normalized, n, extraRows);
  assert.ok(maxAbsDiff(jsMean, tfjsMean) < 1e-4, `JS vs tfjs ${maxAbsDiff(jsMean, tfjsMean)}`);

  // The spec the exporter and `eval --run` use.
  const spec = ppoActorSpec(config, info, agent.values, norm);
  assert.deepEqual(spec.encoders!.map((e) => [e.input, e.convs.length]), [['height_scan', 0], ['depth', 2]]);
  const specOut = specActions(spec, info, obs, n, new Float32Array(n * 3), extraRows);
  assert.ok(maxAbsDiff(specOut, tfjsAction) < 1e-4, `spec vs tfjs ${maxAbsDiff(specOut, tfjsAction)}`);

  // The ONNX graph: checker-clean, opset 17, one input per encoder, run through the one loader.
  const dir = mkdtempSync(join(tmpdir(), 'perceptive-'));
  const file = join(dir, 'policy.onnx');
  writeFileSync(file, exportMlpPolicyOnnx(spec, metadata()));
  const script = 'import onnx, sys, json\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(json.dumps({"ir": m.ir_version, "opset": [o.version for o in m.opset_import], "inputs": [[i.name, [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]] for i in m.graph.input]}))';
  const checked = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }));
  assert.ok(checked.ir <= 8 && checked.opset.every((v: number) => v <= 17), JSON.stringify(checked));
  assert.deepEqual(checked.inputs, [['obs', ['N', 15]], ['height_scan', ['N', 11, 11]], ['depth', ['N', 24, 32]]]);

  const inputs = { obs: OBSERVATION_LAYOUT, height_scan: perceptionLayout(robot, 'height_scan'), depth: perceptionLayout(robot, 'depth') };
  const policy = await OnnxPolicy.load(file, ballbotCaller('ballbot eval', robot, robot.control.rateHz, { inputs }));
  try {
    assert.deepEqual(policy.extraInputs.map((i) => [i.name, i.shape, i.units, i.rateHz]), [['height_scan', [1, 11, 11], 'm', 50], ['depth', [1, 24, 32], 'm', 30]]);
    const out = new Float32Array(3);
    const onnxOut = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      policy.act(obs.subarray(i * 15, (i + 1) * 15), out, { height_scan: extraRows.height_scan.subarray(i * 121, (i + 1) * 121), depth: extraRows.depth.subarray(i * 768, (i + 1) * 768) });
      onnxOut.set(out, i * 3);
    }
    assert.ok(maxAbsDiff(onnxOut, tfjsAction) < 1e-4, `ONNX vs tfjs ${maxAbsDiff(onnxOut, tfjsAction)}`);
    // The missing reading is meaningful: zeroing the depth image changes the action.
    policy.act(obs.subarray(0, 15), out, { height_scan: extraRows.height_scan.subarray(0, 121), depth: new Float32Array(768) });
    assert.ok(maxAbsDiff(out, onnxOut.subarray(0, 3)) > 1e-3, 'the depth input reaches the action');
  } finally {
    policy.close();
  }
  // A caller that builds only the height scan refuses it, naming the depth input.
  await assert.rejects(OnnxPolicy.load(file, ballbotCaller('ballbot sim', robot, robot.control.rateHz, { inputs: { obs: OBSERVATION_LAYOUT, height_scan: inputs.height_scan } })), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError);
    assert.match(err.message, /input 'depth': ballbot sim cannot feed it/);
    return true;
  });
});

test('perceptive actor: the encoders\' gradient (tf.grad VJP) matches central finite differences', async () => {
  const { agent, rng } = await randomAgent(11, extras);
  const n = 4;
  const { extraRows } = randomInputs(rng, n);
  for (const def of agent.policy.encoders) {
    const kernels = new EncoderKernels(agent.layout, def);
    const fw = def.head.sizes[def.head.sizes.length - 1];
    const dF = Float32Array.from({ length: n * fw }, () => rng.normal());
    const grad = new Float32Array(agent.values.length);
    kernels.backward(agent.values, extraRows[def.input], n, dF, grad);
    const dir = Float32Array.from(agent.values, () => rng.normal());
    const loss = (sign: number, eps: number) => {
      const v = agent.values.map((x, i) => x + sign * eps * dir[i]);
      const f = kernels.forward(v, extraRows[def.input], n);
      return f.reduce((s, x, i) => s + x * dF[i], 0);
    };
    const eps = 1e-2;
    const numeric = (loss(1, eps) - loss(-1, eps)) / (2 * eps);
    const analytic = grad.reduce((s, g, i) => s + g * dir[i], 0);
    assert.ok(Math.abs(numeric - analytic) < 0.02 * Math.max(1, Math.abs(analytic)), `${def.input}: numeric ${numeric}, analytic ${analytic}`);
    // Parameters outside this encoder get no gradient from it.
    const trunk = agent.layout.get('pi.w0');
    assert.ok(grad.subarray(trunk.offset, trunk.offset + trunk.size).every((g) => g === 0));
  }
});
