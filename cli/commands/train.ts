// `ballbot train`: train a policy with PPO or SAC on a built-in task or a user env module.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputFileFlag, numberFlag, parseCommand, printJsonLine, UsageError, seedFlag } from '../args.js';
import { openRedisLearner } from '../../training/runners/redis-ppo.js';
import { configPath } from '../../sim/config/paths.js';
import { applyOverrides } from '../../sim/config/yaml.js';
import { loadTrainConfig, parseTrainConfig, type TrainConfig } from '../../training/config.js';
import { loadCheckpoint } from '../../training/io/checkpoint.js';
import { train } from '../../training/train.js';
import { formatAgainstLqr } from '../../training/evaluate.js';

const usage = `usage: ballbot train [--config FILE | --algo ppo|sac|a2c|td3|ddpg --task TASK] --out runs/NAME
                    [--seed S] [--steps N] [--env MODULE] [--resume DIR] [--set key.path=value ...]
                    [--no-progress] [--json] [--redis URL [--redis-ca FILE] [--redis-lock-ms MS]]

  --config FILE    training config (YAML, configs/train/*.yaml); default configs/train/<algo>-<task>.yaml
  --algo, --task   pick the shipped config for an algorithm and task (pendulum, balance, velocity, terrain)
  --out DIR        run directory (checkpoints, metrics.csv, tb/, curves.svg, policy.onnx, eval.json)
  --seed S         run seed (overrides the config)
  --steps N        total env steps (overrides totalSteps)
  --env MODULE     bring-your-own env: a module whose default export is an EnvFactory (sim/env.ts)
  --resume DIR     continue the run in DIR exactly from its latest checkpoint
  --set k=v        override any config key, e.g. --set ppo.lr=1e-3 --set network.actor=[128,128]
  --json           print one JSON summary object on the last line of stdout
  --redis URL      be the learner of a distributed PPO run: actors (\`ballbot actor --redis URL\`) on any
                   machine collect the rollouts; redis://[user:password@]HOST:PORT or rediss://... (TLS)
  --redis-ca FILE  PEM of the CA that signed the Redis server's certificate
  --redis-lock-ms MS  one-learner lock TTL: a learner restarted after a kill waits at most this long (default 30000)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        config: { type: 'string' }, algo: { type: 'string' }, task: { type: 'string' }, out: { type: 'string' },
        seed: { type: 'string' }, steps: { type: 'string' }, env: { type: 'string' }, resume: { type: 'string' },
        set: { type: 'string', multiple: true }, 'no-progress': { type: 'boolean' }, json: { type: 'boolean' },
        redis: { type: 'string' }, 'redis-ca': { type: 'string' }, 'redis-lock-ms': { type: 'string' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const overrides = [...(v.set ?? [])];
  if (v.seed !== undefined) overrides.push(`seed=${seedFlag(v.seed, 0)}`);
  if (v.steps !== undefined) overrides.push(`totalSteps=${numberFlag(v.steps, 'steps', 0, { integer: true, min: 1 })}`);
  if (v.env !== undefined) overrides.push(`envModule=${JSON.stringify(resolve(v.env))}`);

  let config: TrainConfig;
  let outDir: string;
  if (v.resume) {
    outDir = v.resume;
    if (v.out && v.out !== v.resume) throw new UsageError('--resume continues in its own directory; drop --out');
    const ignored = (['config', 'algo', 'task'] as const).filter((flag) => v[flag] !== undefined);
    if (ignored.length) throw new UsageError(`--resume continues with the run's own config; drop ${ignored.map((f) => `--${f}`).join(', ')} (change a key that may change with --set)`);
    const ckpt = loadCheckpoint<{ config: unknown }>(v.resume);
    config = parseTrainConfig(applyOverrides(ckpt.state.config, overrides), `${ckpt.file} (config with overrides)`);
  } else {
    if (!v.out) throw new UsageError(`--out is required\n${usage}`);
    if (existsSync(v.out) && !statSync(v.out).isDirectory()) throw new UsageError(`--out ${v.out} is a file; the run directory must be a new or existing directory`);
    outDir = v.out;
    let file = v.config;
    if (!file) {
      const algo = v.algo ?? 'ppo';
      const task = v.task ?? (v.env ? 'custom' : undefined);
      if (!task) throw new UsageError(`give --config FILE or --task TASK\n${usage}`);
      file = configPath('train', `${algo}-${task}.yaml`);
      if (!existsSync(file)) throw new UsageError(`no shipped config for --algo ${algo} --task ${task} (looked for ${file}); pass --config FILE`);
    }
    if (v.task && v.config) overrides.push(`task=${v.task}`);
    config = loadTrainConfig(file, overrides);
  }
  if (!v.redis && (v['redis-ca'] !== undefined || v['redis-lock-ms'] !== undefined)) throw new UsageError('--redis-ca and --redis-lock-ms need --redis URL');
  if (v.redis && config.algo !== 'ppo') throw new UsageError(`--redis trains PPO only; this config has algo: ${config.algo}`);
  const transport = v.redis
    ? await openRedisLearner({ url: v.redis, caFile: inputFileFlag(v['redis-ca'], 'redis-ca'), config, lockTtlMs: numberFlag(v['redis-lock-ms'], 'redis-lock-ms', 30_000, { integer: true, min: 200 }) })
    : undefined;
  if (transport) console.error(`${transport.describe()}: waiting for actors (ballbot actor --redis URL)`);
  let result;
  try {
    result = await train({ config, outDir, resume: Boolean(v.resume), progress: !v['no-progress'], transport });
    if (!result.interrupted) await transport?.markFinished();
  } finally {
    await transport?.close();
  }
  const summary = {
    outDir: result.outDir, algo: config.algo, task: config.task, seed: config.seed, iteration: result.iteration, envSteps: result.envSteps,
    wallSeconds: Number(result.wallSeconds.toFixed(1)), backend: result.backend, policy: result.policyFile ?? null, eval: result.eval ?? null, lqrEval: result.lqrEval ?? null, evaluations: result.evaluations ?? null,
    interrupted: result.interrupted, metrics: join(result.outDir, 'metrics.csv'), curves: join(result.outDir, 'curves.svg'),
  };
  for (const e of result.evaluations ?? []) console.error(`randomization '${e.randomization}', seed block ${config.evalSeed ?? config.seed}:\n${formatAgainstLqr(e.policy, e.lqr)}`);
  if (v.json) printJsonLine(summary);
  else {
    console.error(`run written to ${result.outDir} (${result.envSteps} env steps, ${summary.wallSeconds} s)`);
    if (result.eval) console.error(`eval: ${JSON.stringify(result.eval)}`);
  }
  return 0;
}
