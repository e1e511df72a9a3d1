// A tracking-memory run through the real train() path (real Rapier, tfjs PPO, ONNX export,
// onnxruntime): the artifact keeps the 15-wide 'obs' input and carries 'memory_in' ->
// 'memory_out', declared and described in its metadata; it is checker-clean at opset 17; over
// hundreds of steps of a real env the ONNX session's actions and state match the JS memory
// wrapper with the run's actor; and the exported file, evaluated as `ballbot eval` runs it (state
// per env from zeros), reproduces the run's own end-of-run evaluation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { MemoryVecEnv } from '../../sim/memory-vec-env.js';
import { OBSERVATION_LAYOUT, OBS_SIZE } from '../../sim/observation.js';
import { metadataToProps, OPTIONAL_METADATA_KEYS, propsToMetadata, readArtifactMetadata } from '../../sim/policy-artifact.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { loadRunPolicy, specActions } from '../../training/io/run-policy.js';
import { makeVecEnv } from '../../training/tasks.js';
import { train } from '../../training/train.js';
import { assertArtifactReproducesRunEval } from './artifact-eval.js';

const memoryOptions = { leakSeconds: 2, clipM: 0.4 };
let dir: string;
let policyFile: string;
let runEval: { successRate: number; meanReturn: number; meanActionChange: number; trackingErrorMps?: number };
const seed = 2;

before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-memory-'));
  const config = parseTrainConfig({
    algo: 'ppo', task: 'velocity', seed, totalSteps: 256, numEnvs: 4, workers: 0, evalEpisodes: 3,
    env: { randomize: true, memory: memoryOptions },
    network: { actor: [16], critic: [16], activation: 'elu' }, ppo: { stepsPerEnv: 16, epochs: 1, numMinibatches: 1, initLogStd: -1.5 },
  }, 'test');
  const r = await train({ config, outDir: join(dir, 'run'), progress: false });
  assert.ok(r.policyFile && existsSync(r.policyFile) && r.eval);
  policyFile = r.policyFile;
  runEval = r.eval;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the memory artifact: obs [N, 15] and memory_in -> memory_out [N, 3], declared and described; metadata round-trips; checker-clean', () => {
  const meta = readArtifactMetadata(readFileSync(policyFile), policyFile);
  assert.deepEqual(meta.observationLayout, [...OBSERVATION_LAYOUT]);
  assert.deepEqual(meta.recurrentState, [{ input: 'memory_in', output: 'memory_out', shape: [1, 3] }]);
  assert.equal(meta.trackingMemory?.state, 'memory_in');
  assert.deepEqual(meta.trackingMemory?.units, ['m', 'm', 'rad']);
  assert.equal(meta.trackingMemory?.leakSeconds, 2);
  assert.deepEqual(meta.trackingMemory?.clip, [0.4, 0.4, 1]);
  const props = metadataToProps(meta);
  assert.deepEqual(propsToMetadata(props), meta);
  // A description that does not match the declared state is refused, naming the key.
  const wrongState = { ...props, [OPTIONAL_METADATA_KEYS.trackingMemory]: JSON.stringify({ ...meta.trackingMemory, state: 'h_in' }) };
  assert.throws(() => propsToMetadata(wrongState), /'ballbot\.tracking_memory': state 'h_in' is not a 'ballbot\.recurrent_state' input/);
  const wrongSize = { ...props, [OPTIONAL_METADATA_KEYS.trackingMemory]: JSON.stringify({ ...meta.trackingMemory, clip: [1] }) };
  assert.throws(() => propsToMetadata(wrongSize), /'ballbot\.tracking_memory': layout, units and clip must have one entry per value/);

  const script = 'import onnx, sys, json\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\n'
    + 'shape = lambda v: [v.name, [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]]\n'
    + 'print(json.dumps({"ir": m.ir_version, "opset": [o.version for o in m.opset_import], "inputs": [shape(i) for i in m.graph.input], "outputs": [shape(o) for o in m.graph.output], "ops": sorted({n.op_type for n in m.graph.node})}))';
  const checked = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, policyFile], { encoding: 'utf8' }));
  assert.ok(checked.ir <= 8 && checked.opset.every((v: number) => v <= 17), JSON.stringify(checked));
  assert.deepEqual(checked.inputs, [['obs', ['N', 15]], ['memory_in', ['N', 3]]]);
  assert.deepEqual(checked.outputs, [['action', ['N', 3]], ['memory_out', ['N', 3]]]);
  for (const op of ['MatMul', 'Mul', 'Add', 'Max', 'Min', 'Concat']) assert.ok(checked.ops.includes(op), `${op} in ${checked.ops}`);
});

test('ONNX session vs the JS memory wrapper and the run actor, side by side over 300 steps of the real env', async () => {
  const policy = loadRunPolicy(join(dir, 'run'));
  const n = 2;
  const vec = await makeVecEnv({ task: 'velocity', options: { randomize: true, memory: memoryOptions } }, n, 9, 0) as MemoryVecEnv;
  const session = await ort.InferenceSession.create(readFileSync(policyFile));
  const W = OBS_SIZE + 3;
  const state = Array.from({ length: n }, () => new Float32Array(3));
  const jsActions = new Float32Array(n * 3);
  let maxActionDiff = 0, maxStateDiff = 0, maxState = 0, restarts = 0;
  try {
    let obs = await vec.reset(9);
    for (let t = 0; t < 300; t++) {
      specActions(policy.spec, policy.envInfo, obs, n, jsActions);
      for (let i = 0; i < n; i++) {
        const out = await session.run({
          obs: new ort.Tensor('float32', obs.slice(i * W, i * W + OBS_SIZE), [1, OBS_SIZE]),
          memory_in: new ort.Tensor('float32', state[i], [1, 3]),
        });
        const action = out.action.data as Float32Array, memory = out.memory_out.data as Float32Array;
        for (let j = 0; j < 3; j++) {
          maxActionDiff = Math.max(maxActionDiff, Math.abs(Math.min(1, Math.max(-1, action[j])) - jsActions[i * 3 + j]));
          maxStateDiff = Math.max(maxStateDiff, Math.abs(memory[j] - vec.memory[i * 3 + j]));
          maxState = Math.max(maxState, Math.abs(memory[j]));
        }
        state[i] = Float32Array.from(memory);
      }
      const r = await vec.step(jsActions);
      for (let i = 0; i < n; i++) {
        if (r.terminated[i] || r.truncated[i]) {
          restarts++;
          state[i].fill(0); // a new episode: the caller zeroes the state, as eval and deploy do
        }
      }
      obs = r.obs;
    }
  } finally {
    await vec.close();
    await session.release();
  }
  assert.ok(maxState > 0.01, `the memory moved (max |m| ${maxState})`);
  assert.ok(maxActionDiff < 1e-4, `actions within float tolerance: ${maxActionDiff}`);
  assert.ok(maxStateDiff < 1e-5, `state within float tolerance: ${maxStateDiff}`);
  assert.ok(restarts >= 1, 'episodes restarted within the 300 steps, so the reset path was compared too');
});

test('the artifact evaluated as `ballbot eval` runs it (one instance per env, zeros at start) reproduces the run evaluation', async () => {
  const onnx = await assertArtifactReproducesRunEval(policyFile, seed, runEval);

  // The state is carried (an instance that kept it acts differently) and reset() forgets it.
  const [used, fresh] = [onnx[0], onnx[1]];
  fresh.reset();
  const obs = new Float32Array(OBS_SIZE);
  obs[2] = -1;
  obs[12] = 0.5; // asked to move, standing still: the memory winds up
  const a = new Float32Array(3), b = new Float32Array(3);
  for (let k = 0; k < 60; k++) used.act(obs, a);
  fresh.act(obs, b);
  assert.ok(Math.max(...a.map((v, j) => Math.abs(v - b[j]))) > 1e-4, `state reaches the action: ${a} vs ${b}`);
  used.reset();
  fresh.reset();
  used.act(obs, a);
  fresh.act(obs, b);
  assert.deepEqual(Array.from(a), Array.from(b));
  for (const p of onnx) p.close();
});
