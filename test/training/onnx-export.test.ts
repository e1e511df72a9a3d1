// The exported ONNX graph, run by the real onnxruntime-node, matches a plain JS forward pass
// of the same weights; the file passes the official onnx checker; metadata round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../sim/rng.js';
import { ARTIFACT_FORMAT, propsToMetadata, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { exportMlpPolicyOnnx } from '../../training/io/onnx-export.js';
import { mlpForward, type Activation, type MlpPolicySpec } from '../../training/networks/mlp-policy-spec.js';
import { atomicWriteFile } from '../../common/atomic-write.js';

function randomSpec(rng: Rng, sizes: number[], activations: Activation[], withNorm: boolean): MlpPolicySpec {
  const layers = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    const weights = Float32Array.from({ length: sizes[k] * sizes[k + 1] }, () => rng.normal() * 0.5);
    const bias = Float32Array.from({ length: sizes[k + 1] }, () => rng.normal() * 0.1);
    layers.push({ weights, bias, activation: activations[k] });
  }
  const spec: MlpPolicySpec = { layers, actionClip: 1 };
  if (withNorm) {
    spec.obsMean = Float32Array.from({ length: sizes[0] }, () => rng.normal());
    spec.obsStd = Float32Array.from({ length: sizes[0] }, () => 0.2 + rng.next() * 3);
    spec.obsClip = 5;
  }
  return spec;
}

function metadata(obsSize: number, actSize: number): PolicyMetadata {
  return {
    format: ARTIFACT_FORMAT,
    observationLayout: Array.from({ length: obsSize }, (_, i) => `o${i}`),
    actionLayout: Array.from({ length: actSize }, (_, i) => `a${i}`),
    actionScaling: { kind: 'torque_fraction', maxTorqueNm: 2.5 },
    controlRateHz: 100,
    robotName: 'test-bot',
    robotHash: '0123456789abcdef',
    task: 'balance',
    normalization: { mean: [], std: [], clip: 0 },
    trainingConfig: { algo: 'ppo', lr: 3e-4 },
    producer: 'ballbot 0.1.0',
  };
}

async function runOnnx(bytes: Uint8Array, obs: Float32Array, n: number, obsSize: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ obs: new ort.Tensor('float32', obs, [n, obsSize]) });
  return result.action.data as Float32Array;
}

const cases: { name: string; sizes: number[]; acts: Activation[]; norm: boolean }[] = [
  { name: 'tanh 64x64 with folded normalization', sizes: [15, 64, 64, 3], acts: ['tanh', 'tanh', 'linear'], norm: true },
  { name: 'elu + relu without normalization', sizes: [7, 32, 16, 2], acts: ['elu', 'relu', 'linear'], norm: false },
];

for (const c of cases) {
  test(`ONNX export matches the JS forward pass on 1000 random observations: ${c.name}`, async () => {
    const rng = new Rng(42);
    const spec = randomSpec(rng, c.sizes, c.acts, c.norm);
    const obsSize = c.sizes[0];
    const actSize = c.sizes[c.sizes.length - 1];
    const bytes = exportMlpPolicyOnnx(spec, metadata(obsSize, actSize));
    const n = 1000;
    const obs = Float32Array.from({ length: n * obsSize }, () => rng.normal() * 4);
    const out = await runOnnx(bytes, obs, n, obsSize);
    assert.equal(out.length, n * actSize);
    let maxErr = 0;
    let clipped = 0;
    for (let i = 0; i < n; i++) {
      const ref = mlpForward(spec, obs.subarray(i * obsSize, (i + 1) * obsSize));
      for (let j = 0; j < actSize; j++) {
        maxErr = Math.max(maxErr, Math.abs(ref[j] - out[i * actSize + j]));
        if (Math.abs(ref[j]) === 1) clipped++;
      }
    }
    assert.ok(maxErr < 1e-5, `max abs error ${maxErr}`);
    // The inputs are wide enough that the action clip is exercised.
    assert.ok(clipped > 0, 'no output reached the action clip');
  });
}

test('exported file passes onnx.checker and carries the metadata', { skip: !existsSync('/usr/bin/python3') }, () => {
  const rng = new Rng(1);
  const spec = randomSpec(rng, [15, 16, 3], ['tanh', 'linear'], true);
  const dir = mkdtempSync(join(tmpdir(), 'onnx-export-'));
  try {
    const file = join(dir, 'policy.onnx');
    atomicWriteFile(file, exportMlpPolicyOnnx(spec, metadata(15, 3)));
    const script = [
      'import onnx, sys, json',
      'm = onnx.load(sys.argv[1])',
      'onnx.checker.check_model(m, full_check=True)',
      'print(json.dumps({"ir": m.ir_version, "opset": [o.version for o in m.opset_import], "props": {p.key: p.value for p in m.metadata_props}}))',
    ].join('\n');
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }));
    assert.ok(out.ir <= 8);
    assert.ok(out.opset.every((v: number) => v <= 17));
    const meta = propsToMetadata(out.props);
    assert.equal(meta.normalization, 'folded'); // stats are in the graph, so the metadata says so
    assert.equal(meta.robotHash, '0123456789abcdef');
    assert.deepEqual(meta.trainingConfig, { algo: 'ppo', lr: 3e-4 });
    assert.equal(meta.observationLayout.length, 15);
    assert.ok(readFileSync(file).length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export rejects inconsistent shapes and bad std with a clear error', () => {
  const rng = new Rng(3);
  const spec = randomSpec(rng, [4, 8, 2], ['tanh', 'linear'], true);
  assert.throws(() => exportMlpPolicyOnnx(spec, metadata(5, 2)), /observationLayout has 5 names, the policy takes 4/);
  spec.obsStd![2] = 0;
  assert.throws(() => exportMlpPolicyOnnx(spec, metadata(4, 2)), /obsStd\[2\] = 0/);
  const bad = randomSpec(rng, [4, 8, 2], ['tanh', 'linear'], false);
  bad.layers[1].weights = new Float32Array(9 * 2);
  assert.throws(() => exportMlpPolicyOnnx(bad, metadata(4, 2)), /layer 1: expects 9 inputs but layer 0 has 8 outputs/);
});
