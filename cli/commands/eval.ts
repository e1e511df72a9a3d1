// `ballbot eval`: evaluate a run, an ONNX policy (through onnxruntime-node) or the LQR
// baseline on held-out seeds, with full randomization and pushes unless told otherwise.
import { existsSync, readFileSync } from 'node:fs';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { ballbotCaller, type CallerCapabilities } from '../../sim/artifact-check.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { createZeroController, type Controller } from '../../sim/controller.js';
import type { VecEnv } from '../../sim/env.js';
import { createLqrController } from '../../sim/lqr.js';
import { ACTION_SIZE, OBS_SIZE } from '../../sim/observation.js';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';
import { evaluate, type BatchPolicy } from '../../training/evaluate.js';
import { loadRunPolicy, specActions } from '../../training/io/run-policy.js';
import { isBallbotTask, makeVecEnv } from '../../training/tasks.js';
import { numberFlag, parseCommand, printJsonLine, UsageError, seedFlag, inputFileFlag } from '../args.js';

const usage = `usage: ballbot eval (--run runs/NAME | --policy FILE.onnx | --controller lqr|zero)
                   [--task T] [--episodes N] [--seed S] [--no-randomize] [--env MODULE] [--json]

  --run DIR          evaluate a training run (its latest checkpoint, plain JS forward pass)
  --policy FILE      evaluate an ONNX policy artifact with onnxruntime-node
  --controller NAME  a baseline controller (lqr, zero) on a ballbot task
  --task T           task (default: the run's / the policy's task; balance for controllers)
  --episodes N       held-out episodes (default 100), one per env, run in parallel
  --seed S           selects the held-out seed block (default 0)
  --no-randomize     nominal robot, no pushes (default: full domain randomization and pushes)
  --json             one JSON object on the last line: successRate, meanReturn, episodes,
                     meanActionChange, pushRecoveryRate, trackingErrorMps (command tasks)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        run: { type: 'string' }, policy: { type: 'string' }, controller: { type: 'string' }, task: { type: 'string' },
        episodes: { type: 'string' }, seed: { type: 'string' }, 'no-randomize': { type: 'boolean' }, env: { type: 'string' }, json: { type: 'boolean' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const sources = [v.run, v.policy, v.controller].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new UsageError(`give exactly one of --run, --policy, --controller\n${usage}`);
  if (v.controller !== undefined && v.controller !== 'lqr' && v.controller !== 'zero') throw new UsageError(`--controller must be lqr or zero, got '${v.controller}'`);
  if (v.controller !== undefined && v.env !== undefined) throw new UsageError('--env needs --run or --policy: a --controller runs on the ballbot tasks only');
  const episodes = numberFlag(v.episodes, 'episodes', 100, { integer: true, min: 1, max: 10000 });
  const seed = seedFlag(v.seed, 0);
  const randomizeOpt = v['no-randomize'] ? { randomize: false } : {};

  let vec: VecEnv;
  let policy: BatchPolicy;
  let source: string;
  let task: string;
  if (v.run) {
    const rp = loadRunPolicy(v.run);
    task = v.task ?? rp.config.task;
    const envModule = v.env ?? rp.config.envModule;
    vec = await makeVecEnv({ task, envModule, options: { ...rp.config.env, ...(isBallbotTask(task) ? { randomize: true } : {}), ...randomizeOpt } }, episodes, seed, 0);
    const out = new Float32Array(episodes * rp.envInfo.actSize);
    policy = (obs, n) => specActions(rp.spec, rp.envInfo, obs, n, out);
    source = `run ${v.run} (${rp.algo}, ${rp.envSteps} env steps)`;
  } else if (v.policy) {
    const policyFile = inputFileFlag(v.policy, 'policy');
    const meta = readArtifactMetadata(readFileSync(policyFile), policyFile);
    task = v.task ?? meta.task;
    vec = await makeVecEnv({ task, envModule: v.env, options: isBallbotTask(task) ? { randomize: true, ...randomizeOpt } : {} }, episodes, seed, 0);
    try {
      policy = await onnxBatchPolicy(v.policy, task, vec);
    } catch (err) {
      await vec.close();
      throw err;
    }
    source = `ONNX ${v.policy} (onnxruntime-node)`;
  } else {
    task = v.task ?? 'balance';
    if (!isBallbotTask(task)) throw new UsageError(`--controller works on ballbot tasks (balance, velocity, terrain), not '${task}'`);
    vec = await makeVecEnv({ task, options: { randomize: true, ...randomizeOpt } }, episodes, seed, 0);
    policy = controllerPolicy(v.controller!, episodes);
    source = `controller ${v.controller}`;
  }
  try {
    const t0 = performance.now();
    const result = await evaluate(vec, policy, seed);
    const summary = { source, task, seed, randomized: isBallbotTask(task) && !v['no-randomize'], ...result, wallSeconds: Number(((performance.now() - t0) / 1000).toFixed(2)) };
    if (v.json) printJsonLine(summary);
    else console.log(JSON.stringify(summary, null, 2));
  } finally {
    await vec.close();
  }
  return 0;
}

/**
 * The ONNX policy run once per env (batch 1, the same session deploy uses). Eval runs many envs
 * with one policy, so it cannot carry one hidden state per env: recurrent artifacts are refused.
 */
async function onnxBatchPolicy(file: string, task: string, vec: VecEnv): Promise<BatchPolicy> {
  const names = (space: VecEnv['observationSpace'], prefix: string) => space.names ?? Array.from({ length: space.shape[0] }, (_, i) => `${prefix}_${i}`);
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG); // the robot makeVecEnv builds for a ballbot task
  const caller: CallerCapabilities = isBallbotTask(task)
    ? ballbotCaller('ballbot eval', robot, robot.control.rateHz, { recurrentState: false, fixedFullScaleNm: robot.motor.maxTorque })
    : { caller: 'ballbot eval', robot: null, inputs: { obs: names(vec.observationSpace, 'obs') }, actionLayout: names(vec.actionSpace, 'action'), recurrentState: false, baseControllers: [] };
  const onnx = await OnnxPolicy.load(file, caller);
  const O = onnx.obsSize, A = onnx.actionSize;
  const out = new Float32Array(vec.numEnvs * A);
  return (obs, n) => {
    for (let i = 0; i < n; i++) onnx.act(obs.subarray(i * O, (i + 1) * O), out.subarray(i * A, (i + 1) * A));
    return out;
  };
}

function controllerPolicy(name: string, n: number): BatchPolicy {
  let make: () => Controller;
  if (name === 'zero') make = createZeroController;
  else if (name === 'lqr') {
    const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
    make = () => createLqrController(robot);
  } else throw new UsageError(`--controller must be lqr or zero, got '${name}'`);
  // One controller per env; each env runs exactly one evaluated episode, so one reset each.
  const controllers = Array.from({ length: n }, () => {
    const c = make();
    c.reset();
    return c;
  });
  const out = new Float32Array(n * ACTION_SIZE);
  return (obs, count) => {
    for (let i = 0; i < count; i++) controllers[i].act(obs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE), out.subarray(i * ACTION_SIZE, (i + 1) * ACTION_SIZE));
    return out;
  };
}
