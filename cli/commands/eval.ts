// `ballbot eval`: evaluate a run, an ONNX policy (through onnxruntime-node) or the LQR
// baseline on held-out seeds, with full randomization and pushes unless told otherwise.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { numberFlag, parseCommand, printJsonLine, UsageError } from '../args.js';
import type { VecEnv } from '../../sim/env.js';
import { controllerBatchPolicy, evaluate, lqrBatchPolicy, type BatchPolicy } from '../../training/evaluate.js';
import { loadOnnxPolicy } from '../../training/io/onnx-policy.js';
import { loadRunPolicy } from '../../training/io/run-policy.js';
import { isBallbotTask, makeVecEnv } from '../../training/tasks.js';
import { evaluateRunPolicy } from '../../training/train.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';

const usage = `usage: ballbot eval (--run runs/NAME | --policy FILE.onnx | --controller lqr|zero)
                   [--task T] [--episodes N] [--seed S] [--randomization FILE | --no-randomize]
                   [--env MODULE] [--json]

  --run DIR          evaluate a training run (its latest checkpoint, plain JS forward pass)
  --policy FILE      evaluate an ONNX policy artifact with onnxruntime-node
  --controller NAME  a baseline controller (lqr, zero) on a ballbot task
  --task T           task (default: the run's / the policy's task; balance for controllers)
  --episodes N       held-out episodes (default 100), one per env, run in parallel
  --seed S           selects the held-out seed block (default 0)
  --randomization F  domain randomization ranges from a YAML file, or a shipped set by name
                     (stress, stress-b: configs/randomization/NAME.yaml) instead of the default
                     ranges; validated, errors name the file and the key
  --no-randomize     nominal robot, no pushes (default: full domain randomization and pushes)
  --json             one JSON object on the last line: successRate, meanReturn, episodes,
                     meanActionChange, pushRecoveryRate, trackingErrorMps (command tasks)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        run: { type: 'string' }, policy: { type: 'string' }, controller: { type: 'string' }, task: { type: 'string' },
        episodes: { type: 'string' }, seed: { type: 'string' }, randomization: { type: 'string' }, 'no-randomize': { type: 'boolean' },
        env: { type: 'string' }, json: { type: 'boolean' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const sources = [v.run, v.policy, v.controller].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new UsageError(`give exactly one of --run, --policy, --controller\n${usage}`);
  const episodes = numberFlag(v.episodes, 'episodes', 100, { integer: true, min: 1, max: 10000 });
  const seed = numberFlag(v.seed, 'seed', 0, { integer: true, min: 0 });
  if (v.randomization !== undefined && v['no-randomize']) throw new UsageError('give at most one of --randomization and --no-randomize');
  // Validated here, before any env starts: a bad file fails with its name and the key.
  const randomize = v['no-randomize'] ? false : v.randomization !== undefined ? loadRandomizationConfig(v.randomization) : true;
  const envOptions = (task: string) => (isBallbotTask(task) ? { randomize } : {});
  const report = (source: string, task: string, result: object, t0: number) => {
    const summary = {
      source, task, seed, randomized: isBallbotTask(task) && randomize !== false, randomization: isBallbotTask(task) && randomize !== false ? (v.randomization ?? 'default') : null,
      ...result, wallSeconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    };
    if (v.json) printJsonLine(summary);
    else console.log(JSON.stringify(summary, null, 2));
  };

  const t0 = performance.now();
  if (v.run) {
    const rp = loadRunPolicy(v.run);
    const task = v.task ?? rp.config.task;
    const result = await evaluateRunPolicy(rp, episodes, seed, envOptions(task), task, v.env);
    report(`run ${v.run} (${rp.algo}, ${rp.envSteps} env steps)`, task, result, t0);
    return 0;
  }
  let vec: VecEnv;
  let policy: BatchPolicy;
  let source: string;
  let task: string;
  if (v.policy) {
    if (!existsSync(v.policy)) throw new UsageError(`--policy ${v.policy}: no such file`);
    const onnx = await loadOnnxPolicy(v.policy);
    task = v.task ?? onnx.metadata.task;
    vec = await makeVecEnv({ task, envModule: v.env, options: envOptions(task) }, episodes, seed, 0);
    if (vec.observationSpace.shape[0] !== onnx.obsSize) {
      await vec.close();
      throw new UsageError(`--policy ${v.policy} takes ${onnx.obsSize} observations, task ${task} gives ${vec.observationSpace.shape[0]}`);
    }
    policy = (obs, n) => onnx.act(obs, n);
    source = `ONNX ${v.policy} (onnxruntime-node${onnx.metadata.baseController ? `, residual x${onnx.metadata.baseController.residualScale} on the LQR` : ''})`;
  } else {
    task = v.task ?? 'balance';
    if (!isBallbotTask(task)) throw new UsageError(`--controller works on ballbot tasks (balance, velocity, terrain), not '${task}'`);
    vec = await makeVecEnv({ task, options: envOptions(task) }, episodes, seed, 0);
    policy = await controllerPolicy(v.controller!, episodes);
    source = `controller ${v.controller}`;
  }
  try {
    report(source, task, await evaluate(vec, policy, seed), t0);
  } finally {
    await vec.close();
  }
  return 0;
}

async function controllerPolicy(name: string, n: number): Promise<BatchPolicy> {
  if (name === 'zero') {
    const { createZeroController } = await import('../../sim/controller.js');
    return controllerBatchPolicy(Array.from({ length: n }, createZeroController));
  }
  if (name !== 'lqr') throw new UsageError(`--controller must be lqr or zero, got '${name}'`);
  if (!existsSync(join(import.meta.dirname, '../../sim/lqr.js'))) throw new UsageError('--controller lqr: sim/lqr.ts is not built');
  return lqrBatchPolicy(n);
}
