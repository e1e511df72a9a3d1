// Training throughput: PPO env-steps/s on the CleanRL-style Pendulum setting (4 envs x 1024
// steps, 10 epochs, minibatch 64, 64x64 tanh) and on the ballbot balance task with its shipped
// config, each in ppo.mode sync and async; SAC gradient updates/s with the sac-balance
// networks. The PyTorch peers (bench/peers/*.py, one thread) run in the same process run when
// a python3 can import torch, and the ratios are printed; otherwise the bench says they did not
// run. `--json` prints one JSON object on the last line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  log('PPO pendulum (4 x 1024 steps, 10 epochs, minibatch 64, 64x64 tanh) ...');
  const ppoPendulumEnvStepsPerSec = await ppoSps(pendulum, 4, 1);
  log(`  sync  ${ppoPendulumEnvStepsPerSec.toFixed(0)} env-steps/s`);
  const ppoPendulumAsyncEnvStepsPerSec = await ppoSps({ ...pendulum, workers: 2, ppo: { ...pendulum.ppo, mode: 'async' } }, 4, 1);
  log(`  async ${ppoPendulumAsyncEnvStepsPerSec.toFixed(0)} env-steps/s (2 actor threads)`);
  let torchPpoPendulumEnvStepsPerSec: number | null = null;
  if (python) {
    torchPpoPendulumEnvStepsPerSec = runPeer(python, 'ppo_cleanrl.py', ['--iterations', '4', '--skip', '1']).envStepsPerSec;
    log(`  PyTorch CleanRL-style PPO, 1 thread: ${torchPpoPendulumEnvStepsPerSec.toFixed(0)} env-steps/s; ours/PyTorch: sync ${ratio(ppoPendulumEnvStepsPerSec, torchPpoPendulumEnvStepsPerSec)}x, async ${ratio(ppoPendulumAsyncEnvStepsPerSec, torchPpoPendulumEnvStepsPerSec)}x`);
  }

  const balance = loadTrainConfig(configPath('train', 'ppo-balance.yaml'));
  log(`PPO balance (${balance.numEnvs} envs x ${balance.ppo.stepsPerEnv} steps, ${balance.workers} workers) ...`);
  const ppoEnvStepsPerSec = await ppoSps({ ...balance, evalEpisodes: 0 }, 12, 2);
  log(`  sync  ${ppoEnvStepsPerSec.toFixed(0)} env-steps/s`);
  const ppoAsyncEnvStepsPerSec = await ppoSps({ ...balance, evalEpisodes: 0, ppo: { ...balance.ppo, mode: 'async' } }, 12, 2);
  log(`  async ${ppoAsyncEnvStepsPerSec.toFixed(0)} env-steps/s (${balance.workers} actor threads): ${(ppoAsyncEnvStepsPerSec / ppoEnvStepsPerSec).toFixed(2)}x sync`);

  const sacCfg = loadTrainConfig(configPath('train', 'sac-balance.yaml'));
  log(`SAC updates (batch ${sacCfg.sac.batchSize}, actor ${sacCfg.network.actor}, critic ${sacCfg.network.critic}) ...`);
  const sacUpdatesPerSecond = await sacUpdatesPerSec(sacCfg, 200);
  log(`  ${sacUpdatesPerSecond.toFixed(1)} updates/s`);
  let torchSacUpdatesPerSec: number | null = null;
  if (python) {
    torchSacUpdatesPerSec = runPeer(python, 'sac_update.py', ['--updates', '200', '--batch', String(sacCfg.sac.batchSize), '--hidden', String(sacCfg.network.critic[0]), '--obs', '15', '--act', '3']).updatesPerSec;
    log(`  PyTorch SB3-style SAC update, 1 thread: ${torchSacUpdatesPerSec.toFixed(1)} updates/s; ours/PyTorch ${ratio(sacUpdatesPerSecond, torchSacUpdatesPerSec)}x`);
  }
  const result = {
    backend,
    ppoPendulumEnvStepsPerSec: Math.round(ppoPendulumEnvStepsPerSec),
    ppoPendulumAsyncEnvStepsPerSec: Math.round(ppoPendulumAsyncEnvStepsPerSec),
    torchPpoPendulumEnvStepsPerSec: torchPpoPendulumEnvStepsPerSec === null ? null : Math.round(torchPpoPendulumEnvStepsPerSec),
    ppoPendulumSyncVsTorch: ratio(ppoPendulumEnvStepsPerSec, torchPpoPendulumEnvStepsPerSec),
    ppoPendulumAsyncVsTorch: ratio(ppoPendulumAsyncEnvStepsPerSec, torchPpoPendulumEnvStepsPerSec),
    ppoEnvStepsPerSec: Math.round(ppoEnvStepsPerSec),
    ppoAsyncEnvStepsPerSec: Math.round(ppoAsyncEnvStepsPerSec),
    sacUpdatesPerSec: Number(sacUpdatesPerSecond.toFixed(1)),
    torchSacUpdatesPerSec: torchSacUpdatesPerSec === null ? null : Number(torchSacUpdatesPerSec.toFixed(1)),
    sacVsTorch: ratio(sacUpdatesPerSecond, torchSacUpdatesPerSec),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else console.log(result);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
