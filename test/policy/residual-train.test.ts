// A residual run through the real train() path (real Rapier, tfjs PPO, ONNX export,
// onnxruntime): the artifact declares its LQR base, the end-of-run evaluation has the LQR on the
// same held-out episodes, and the exported file evaluated by onnxruntime composes exactly as the
// run's own evaluation does (one composition path).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig, robotIdentity } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { evaluate, formatAgainstLqr } from '../../training/evaluate.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { makeVecEnv } from '../../training/tasks.js';
import { train } from '../../training/train.js';

let dir: string;
before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-residual-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('residual PPO run: base declared in the artifact, LQR evaluated on the same episodes, ONNX eval = run eval', async () => {
  const config = parseTrainConfig({
    algo: 'ppo', task: 'balance', seed: 2, totalSteps: 128, numEnvs: 4, workers: 0, evalEpisodes: 4,
    env: { randomize: true, residual: { scale: 0.5 }, reward: { actionRate: -6 } },
    network: { actor: [16], critic: [16], activation: 'elu' }, ppo: { stepsPerEnv: 16, epochs: 1, numMinibatches: 1, initLogStd: -1.5 },
  }, 'test');
  const out = join(dir, 'run');
  const r = await train({ config, outDir: out, progress: false });
  assert.ok(r.policyFile && existsSync(r.policyFile));
  assert.ok(r.eval && r.lqrEval, 'policy and LQR evaluated');
  assert.equal(r.lqrEval.episodes, 4);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'eval-lqr.json'), 'utf8')), JSON.parse(JSON.stringify(r.lqrEval)));
  assert.match(formatAgainstLqr(r.eval, r.lqrEval), /\| policy \| .* \|\n\| LQR \| /);

  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const robotHash = robotIdentity(robot).hash;
  // One instance per env: each carries its own LQR base state, as eval runs a residual artifact.
  const onnx = await Promise.all(Array.from({ length: 4 }, () => OnnxPolicy.load(r.policyFile!, ballbotCaller('test', robot, robot.control.rateHz))));
  assert.deepEqual(onnx[0].metadata.baseController, { kind: 'lqr', residualScale: 0.5, robotHash });
  for (const p of onnx) p.reset();
  // The artifact on the plain env (no wrapper, the task's own reward) reproduces the run's evaluation.
  const vec = await makeVecEnv({ task: 'balance', options: { randomize: true } }, 4, config.seed, 0);
  const actions = new Float32Array(4 * 3);
  const viaOnnx = await evaluate(vec, (obs, n) => {
    for (let i = 0; i < n; i++) onnx[i].act(obs.subarray(i * 15, (i + 1) * 15), actions.subarray(i * 3, (i + 1) * 3));
    return actions;
  }, config.seed).finally(() => vec.close());
  for (const p of onnx) p.close();
  assert.equal(viaOnnx.successRate, r.eval.successRate);
  assert.ok(Math.abs(viaOnnx.meanReturn - r.eval.meanReturn) < 1e-2, `return ${viaOnnx.meanReturn} vs ${r.eval.meanReturn}`);
  assert.ok(Math.abs(viaOnnx.meanActionChange - r.eval.meanActionChange) < 1e-3, `action change ${viaOnnx.meanActionChange} vs ${r.eval.meanActionChange}`);
});

test('compare on balance: rows for PPO and the LQR on the default and the stress randomization', async () => {
  const { runComparison } = await import('../../training/compare.js');
  const { evaluateLqr } = await import('../../training/evaluate.js');
  const logs: string[] = [];
  const r = await runComparison({
    algos: ['ppo'], task: 'balance', steps: 64, seeds: 1, outDir: join(dir, 'cmp'), evalPoints: 1, evalEpisodes: 2, evalSeed: 0, progress: false,
    overrides: ['numEnvs=4', 'workers=0', 'ppo.stepsPerEnv=16', 'ppo.numMinibatches=1', 'ppo.epochs=1', 'network.actor=[8]', 'network.critic=[8]'],
    log: (m) => logs.push(m),
  });
  assert.deepEqual(r.summary.map((s) => s.name), ['PPO', 'LQR (baseline)', 'PPO (stress)', 'LQR (stress)']);
  const lqrStress = await evaluateLqr('balance', 2, 0, 'stress');
  assert.equal(r.summary[3].successRate.mean, lqrStress.successRate);
  assert.equal(r.summary[3].meanActionChange.mean, lqrStress.meanActionChange);
  assert.notEqual(r.summary[3].meanActionChange.mean, r.summary[1].meanActionChange.mean, 'stress rows ran on other ranges');
  assert.match(readFileSync(r.files.markdown, 'utf8'), /Rows marked \(stress\) use configs\/randomization\/stress\.yaml/);
});
