// An observation-history run (with the tracking memory too) through the real train() path (real
// Rapier, tfjs PPO, ONNX export, onnxruntime): the artifact keeps the 15-wide 'obs' input and
// carries 'memory_in' -> 'memory_out' and 'history_in' -> 'history_out', declared in its
// metadata; it is checker-clean at opset 17; over hundreds of steps of a real env the deploy
// loader (which carries both states itself) acts as the run's actor on the JS wrappers; and the
// exported file evaluated as `ballbot eval` runs it reproduces the run's own evaluation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import type { HistoryVecEnv } from '../../sim/history-vec-env.js';
import { HISTORY_BLOCK } from '../../sim/observation-history.js';
import { OBSERVATION_LAYOUT, OBS_SIZE } from '../../sim/observation.js';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { loadRunPolicy, specActions } from '../../training/io/run-policy.js';
import { makeVecEnv } from '../../training/tasks.js';
import { train } from '../../training/train.js';
import { assertArtifactReproducesRunEval } from './artifact-eval.js';

const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const env = { randomize: true, memory: { leakSeconds: 2, clipM: 0.4 }, history: { steps: 4 } };
const HISTORY = 4 * HISTORY_BLOCK;
let dir: string;
let policyFile: string;
let runEval: { successRate: number; meanReturn: number; meanActionChange: number; trackingErrorMps?: number };
const seed = 3;

before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-history-'));
  const config = parseTrainConfig({
    algo: 'ppo', task: 'velocity', seed, totalSteps: 256, numEnvs: 4, workers: 0, evalEpisodes: 3, env,
    network: { actor: [16], critic: [16], activation: 'elu' }, ppo: { stepsPerEnv: 16, epochs: 1, numMinibatches: 1, initLogStd: -1.5 },
  }, 'test');
  const r = await train({ config, outDir: join(dir, 'run'), progress: false });
  assert.ok(r.policyFile && existsSync(r.policyFile) && r.eval);
  policyFile = r.policyFile;
  runEval = r.eval;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the history artifact: obs [N, 15], memory [N, 3] and history [N, 4 x 12] carried, declared in order; checker-clean', () => {
  const meta = readArtifactMetadata(readFileSync(policyFile), policyFile);
  assert.deepEqual(meta.observationLayout, [...OBSERVATION_LAYOUT]);
  assert.deepEqual(meta.recurrentState, [
    { input: 'memory_in', output: 'memory_out', shape: [1, 3] },
    { input: 'history_in', output: 'history_out', shape: [1, HISTORY] },
  ]);
  const script = 'import onnx, sys, json\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\n'
    + 'shape = lambda v: [v.name, [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]]\n'
    + 'print(json.dumps({"ir": m.ir_version, "opset": [o.version for o in m.opset_import], "inputs": [shape(i) for i in m.graph.input], "outputs": [shape(o) for o in m.graph.output]}))';
  const checked = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, policyFile], { encoding: 'utf8' }));
  assert.ok(checked.ir <= 8 && checked.opset.every((v: number) => v <= 17), JSON.stringify(checked));
  assert.deepEqual(checked.inputs, [['obs', ['N', 15]], ['memory_in', ['N', 3]], ['history_in', ['N', HISTORY]]]);
  assert.deepEqual(checked.outputs, [['action', ['N', 3]], ['memory_out', ['N', 3]], ['history_out', ['N', HISTORY]]]);
});

test('the deploy loader carrying both states acts as the run actor on the JS wrappers, over 300 steps of the real env', async () => {
  const policy = loadRunPolicy(join(dir, 'run'));
  const n = 2;
  const vec = await makeVecEnv({ task: 'velocity', options: env }, n, 9, 0) as HistoryVecEnv;
  const caller = ballbotCaller('test', robot, robot.control.rateHz);
  const onnx = await Promise.all(Array.from({ length: n }, () => OnnxPolicy.load(policyFile, caller)));
  for (const p of onnx) p.reset();
  const W = OBS_SIZE + 3 + HISTORY;
  assert.equal(vec.observationSpace.shape[0], W);
  const jsActions = new Float32Array(n * 3), onnxAction = new Float32Array(3);
  let maxActionDiff = 0, maxHistory = 0, restarts = 0;
  try {
    let obs = await vec.reset(9);
    for (let t = 0; t < 300; t++) {
      specActions(policy.spec, policy.envInfo, obs, n, jsActions);
      for (let i = 0; i < n; i++) {
        // The wrapper's newest history block is this step's observation without the command.
        const row = obs.subarray(i * W, (i + 1) * W);
        assert.deepEqual(Array.from(row.subarray(W - HISTORY_BLOCK)), Array.from(row.subarray(0, HISTORY_BLOCK)));
        onnx[i].act(row.subarray(0, OBS_SIZE), onnxAction);
        for (let j = 0; j < 3; j++) maxActionDiff = Math.max(maxActionDiff, Math.abs(onnxAction[j] - jsActions[i * 3 + j]));
      }
      for (const v of vec.history) maxHistory = Math.max(maxHistory, Math.abs(v));
      const r = await vec.step(jsActions);
      for (let i = 0; i < n; i++) {
        if (r.terminated[i] || r.truncated[i]) {
          restarts++;
          onnx[i].reset(); // a new episode: the caller zeroes the state, as eval and deploy do
        }
      }
      obs = r.obs;
    }
  } finally {
    await vec.close();
  }
  assert.ok(maxHistory > 0.1, `the history moved (max |h| ${maxHistory})`);
  assert.ok(maxActionDiff < 1e-4, `actions within float tolerance: ${maxActionDiff}`);
  assert.ok(restarts >= 1, 'episodes restarted within the 300 steps, so the reset path was compared too');
});

test('the artifact evaluated as `ballbot eval` runs it (one instance per env, zeros at start) reproduces the run evaluation', async () => {
  for (const p of await assertArtifactReproducesRunEval(policyFile, seed, runEval, false)) p.close();
});

test('env.history is validated: steps out of range, unknown keys, and with a residual', () => {
  const base = { algo: 'ppo', task: 'velocity', totalSteps: 1000, numEnvs: 2, env: { history: { steps: 1 } } };
  assert.throws(() => parseTrainConfig(base, 'cfg.yaml'), /env\.history\.steps must be an integer in \[2, 50\], got 1/);
  assert.throws(() => parseTrainConfig({ ...base, env: { history: { steps: 4, length: 3 } } }, 'cfg.yaml'), /env\.history: unknown key 'length'/);
  assert.throws(() => parseTrainConfig({ ...base, env: { history: {}, residual: { scale: 0.5 } } }, 'cfg.yaml'), /env\.history and env\.residual cannot be combined/);
  assert.equal(parseTrainConfig({ ...base, env: { history: {} } }, 'cfg.yaml').env.history !== undefined, true);
});
