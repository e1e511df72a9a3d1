// Training throughput: PPO env-steps/s on the CleanRL-style Pendulum setting (4 envs x 1024
// steps, 10 epochs, minibatch 64, 64x64 tanh: comparable to a PyTorch run of the same) and on
// the ballbot balance task with its shipped config; SAC gradient updates/s with the
// sac-balance networks. `--json` prints one JSON object on the last line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../sim/rng.js';
import { configPath } from '../sim/config/paths.js';
import { initBackend } from '../training/backend.js';
import { loadTrainConfig, parseTrainConfig, type TrainConfig } from '../training/config.js';
import { ReplayBuffer } from '../training/storage/replay-buffer.js';
import { SacAgent } from '../training/algorithms/sac.js';
import { train } from '../training/train.js';
import { MetricsLogger } from '../training/io/metrics.js';

const json = process.argv.includes('--json');
const log = (s: string) => process.stderr.write(s + '\n');

async function ppoSps(config: TrainConfig, iterations: number, skip: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
  try {
    await train({ config: { ...config, checkpointEvery: 1_000_000 }, outDir: dir, progress: false, maxIterations: iterations, skipFinish: true });
    const rows = readRows(dir).slice(skip);
    const steps = rows.reduce((s, r) => s + r.steps, 0);
    const secs = rows.reduce((s, r) => s + r.steps / r.sps, 0);
    return steps / secs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readRows(dir: string): { steps: number; sps: number }[] {
  const m = new MetricsLogger(dir, Number.MAX_SAFE_INTEGER);
  m.close();
  let prev = 0;
  return m.rows.map((r) => {
    const steps = r.env_steps! - prev;
    prev = r.env_steps!;
    return { steps, sps: r.sps! };
  });
}

async function sacUpdatesPerSec(config: TrainConfig, updates: number): Promise<number> {
  const od = 15;
  const A = 3;
  const rng = new Rng(1);
  const agent = new SacAgent(od, A, config, rng, 1);
  const batch = ReplayBuffer.makeBatch(config.sac.batchSize, od, A);
  for (const arr of [batch.obs, batch.nextObs, batch.actions, batch.rewards]) for (let i = 0; i < arr.length; i++) arr[i] = rng.uniform(-1, 1);
  for (let i = 0; i < 10; i++) agent.update(batch, rng); // warm-up (kernel compilation)
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) agent.update(batch, rng);
  return updates / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const pendulum = parseTrainConfig(
    {
      algo: 'ppo', task: 'pendulum', seed: 1, totalSteps: 1_000_000, numEnvs: 4, evalEpisodes: 0,
      network: { actor: [64, 64], critic: [64, 64], activation: 'tanh' },
      ppo: { stepsPerEnv: 1024, epochs: 10, numMinibatches: 64, lr: 3e-4, schedule: 'linear' },
    },
    'bench pendulum',
  );
  log('PPO pendulum (4 x 1024 steps, 10 epochs, minibatch 64, 64x64 tanh) ...');
  const ppoPendulumEnvStepsPerSec = await ppoSps(pendulum, 4, 1);
  log(`  ${ppoPendulumEnvStepsPerSec.toFixed(0)} env-steps/s`);
  const balance = loadTrainConfig(configPath('train', 'ppo-balance.yaml'));
  log(`PPO balance (${balance.numEnvs} envs x ${balance.ppo.stepsPerEnv} steps, ${balance.workers} workers) ...`);
  const ppoEnvStepsPerSec = await ppoSps({ ...balance, evalEpisodes: 0 }, 12, 2);
  log(`  ${ppoEnvStepsPerSec.toFixed(0)} env-steps/s`);
  const sacCfg = loadTrainConfig(configPath('train', 'sac-balance.yaml'));
  log(`SAC updates (batch ${sacCfg.sac.batchSize}, actor ${sacCfg.network.actor}, critic ${sacCfg.network.critic}) ...`);
  const sacUpdatesPerSecond = await sacUpdatesPerSec(sacCfg, 200);
  log(`  ${sacUpdatesPerSecond.toFixed(1)} updates/s`);
  const result = {
    backend,
    ppoPendulumEnvStepsPerSec: Math.round(ppoPendulumEnvStepsPerSec),
    ppoEnvStepsPerSec: Math.round(ppoEnvStepsPerSec),
    sacUpdatesPerSec: Number(sacUpdatesPerSecond.toFixed(1)),
    pytorchReferencePendulumEnvStepsPerSec: 2200,
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else console.log(result);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
