// Training throughput: PPO env-steps/s on the CleanRL-style Pendulum setting (4 envs x 1024
// steps, 10 epochs, minibatch 64, 64x64 tanh) and on the ballbot balance task with its shipped
// config, each in ppo.mode sync and async; SAC gradient updates/s with the sac-balance
// networks. Every rate is given per wall-clock second and per CPU-second of the process (the
// machine is often shared: CPU-seconds compare single-threaded code fairly under load). The PyTorch peers (bench/peers/*.py, one thread) run in the same process run when
// a python3 can import torch, and the ratios are printed; otherwise the bench says they did not
// run. `--json` prints one JSON object on the last line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Rates per wall-clock second and per CPU-second of this process (all its threads). */
interface Rate {
  wall: number;
  cpu: number;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};

/** PPO env-steps/s over `iterations` after a separate warm-up run of `warmup` iterations (kernel compilation, JIT). */
async function ppoRates(config: TrainConfig, iterations: number, warmup: number): Promise<Rate> {
  const run = async (n: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-train-'));
    try {
      const c0 = process.cpuUsage();
      await train({ config: { ...config, checkpointEvery: 1_000_000 }, outDir: dir, progress: false, maxIterations: n, skipFinish: true });
      const cpu = cpuSeconds(c0);
      const rows = readRows(dir);
      const steps = rows.reduce((s, r) => s + r.steps, 0);
      const secs = rows.reduce((s, r) => s + r.steps / r.sps, 0);
      return { wall: steps / secs, cpu: steps / cpu };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await run(warmup);
  return run(iterations);
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

async function sacUpdateRates(config: TrainConfig, updates: number): Promise<Rate> {
  const od = 15;
  const A = 3;
  const rng = new Rng(1);
  const agent = new SacAgent(od, A, config, rng, 1);
  const batch = ReplayBuffer.makeBatch(config.sac.batchSize, od, A);
  for (const arr of [batch.obs, batch.nextObs, batch.actions, batch.rewards]) for (let i = 0; i < arr.length; i++) arr[i] = rng.uniform(-1, 1);
  for (let i = 0; i < 10; i++) agent.update(batch, rng); // warm-up (kernel compilation)
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < updates; i++) agent.update(batch, rng);
  return { wall: updates / ((performance.now() - t0) / 1000), cpu: updates / cpuSeconds(c0) };
}

/** A python3 that imports torch: $BALLBOT_PYTHON, python3 on PATH, or Debian's /usr/bin/python3. */
function pythonWithTorch(): string | null {
  for (const py of [process.env.BALLBOT_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

/** Run a peer script from bench/peers and return its JSON line. */
function runPeer(python: string, script: string, args: string[]): Record<string, number> {
  const file = fileURLToPath(new URL(`../../bench/peers/${script}`, import.meta.url));
  const r = spawnSync(python, [file, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python} ${file} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, number>;
}

const ratio = (ours: number, peer: number | null) => (peer === null ? null : Number((ours / peer).toFixed(2)));

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
  const python = pythonWithTorch();
  log(python ? `PyTorch peers: ${python}` : 'PyTorch peers not run: no python3 here imports torch (Debian: apt-get install python3-torch; or set BALLBOT_PYTHON)');

  const fmt = (r: Rate, unit: string, digits = 0) => `${r.wall.toFixed(digits)} ${unit}/s (${r.cpu.toFixed(digits)} per CPU-second)`;
  log('PPO pendulum (4 x 1024 steps, 10 epochs, minibatch 64, 64x64 tanh) ...');
  const pendulumSync = await ppoRates(pendulum, 3, 1);
  log(`  sync  ${fmt(pendulumSync, 'env-steps')}`);
  const pendulumAsync = await ppoRates({ ...pendulum, workers: 2, ppo: { ...pendulum.ppo, mode: 'async' } }, 3, 1);
  log(`  async ${fmt(pendulumAsync, 'env-steps')}, 2 actor threads`);
  let torchPendulum: Rate | null = null;
  if (python) {
    const r = runPeer(python, 'ppo_cleanrl.py', ['--iterations', '4', '--skip', '1']);
    torchPendulum = { wall: r.envStepsPerSec, cpu: r.envStepsPerCpuSec };
    log(`  PyTorch CleanRL-style PPO, 1 thread: ${fmt(torchPendulum, 'env-steps')}`);
    log(`  ours / PyTorch (wall): sync ${ratio(pendulumSync.wall, torchPendulum.wall)}x, async ${ratio(pendulumAsync.wall, torchPendulum.wall)}x; per CPU-second: sync ${ratio(pendulumSync.cpu, torchPendulum.cpu)}x, async ${ratio(pendulumAsync.cpu, torchPendulum.cpu)}x`);
  }

  const balance = loadTrainConfig(configPath('train', 'ppo-balance.yaml'));
  log(`PPO balance (${balance.numEnvs} envs x ${balance.ppo.stepsPerEnv} steps, ${balance.workers} workers) ...`);
  const balanceSync = await ppoRates({ ...balance, evalEpisodes: 0, ppo: { ...balance.ppo, mode: 'sync' } }, 10, 2);
  log(`  sync  ${fmt(balanceSync, 'env-steps')}`);
  const balanceAsync = await ppoRates({ ...balance, evalEpisodes: 0, ppo: { ...balance.ppo, mode: 'async' } }, 10, 2);
  log(`  async ${fmt(balanceAsync, 'env-steps')}, ${balance.workers} actor threads: ${ratio(balanceAsync.wall, balanceSync.wall)}x sync (wall)`);

  const sacCfg = loadTrainConfig(configPath('train', 'sac-balance.yaml'));
  log(`SAC updates (batch ${sacCfg.sac.batchSize}, actor ${sacCfg.network.actor}, critic ${sacCfg.network.critic}) ...`);
  const sac = await sacUpdateRates(sacCfg, 200);
  log(`  ${fmt(sac, 'updates', 1)}`);
  let torchSac: Rate | null = null;
  if (python) {
    const r = runPeer(python, 'sac_update.py', ['--updates', '200', '--batch', String(sacCfg.sac.batchSize), '--hidden', String(sacCfg.network.critic[0]), '--obs', '15', '--act', '3']);
    torchSac = { wall: r.updatesPerSec, cpu: r.updatesPerCpuSec };
    log(`  PyTorch SB3-style SAC update, 1 thread: ${fmt(torchSac, 'updates', 1)}; ours / PyTorch: ${ratio(sac.wall, torchSac.wall)}x wall, ${ratio(sac.cpu, torchSac.cpu)}x per CPU-second`);
  }
  const round = (r: Rate | null, digits = 0) => (r === null ? null : { wall: Number(r.wall.toFixed(digits)), cpu: Number(r.cpu.toFixed(digits)) });
  const result = {
    backend,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    ppoPendulumSync: round(pendulumSync),
    ppoPendulumAsync: round(pendulumAsync),
    torchPpoPendulum: round(torchPendulum),
    ppoPendulumSyncVsTorch: ratio(pendulumSync.wall, torchPendulum?.wall ?? null),
    ppoPendulumAsyncVsTorch: ratio(pendulumAsync.wall, torchPendulum?.wall ?? null),
    ppoBalanceSync: round(balanceSync),
    ppoBalanceAsync: round(balanceAsync),
    sacUpdates: round(sac, 1),
    torchSacUpdates: round(torchSac, 1),
    sacVsTorch: ratio(sac.wall, torchSac?.wall ?? null),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else console.log(result);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
