// The run directory under resume and crashes: a refused --resume writes nothing, TensorBoard
// never holds a step twice after work since the checkpoint is replayed, crash leftovers are
// cleaned, and a damaged latest.json or replay file is refused with its name.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile } from '../../common/atomic-write.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig, type TrainConfig } from '../../training/config.js';
import { loadCheckpoint } from '../../training/io/checkpoint.js';
import { eventStep, readEventRecords } from '../../training/io/tensorboard.js';
import { train } from '../../training/train.js';

const root = mkdtempSync(join(tmpdir(), 'ballbot-rundir-'));

before(async () => {
  await initBackend({ quiet: true });
});

function ppoConfig(extra: Record<string, unknown> = {}): TrainConfig {
  return parseTrainConfig({
    algo: 'ppo', task: 'pendulum', seed: 5, totalSteps: 100000, numEnvs: 2, checkpointEvery: 2, evalEpisodes: 0,
    network: { actor: [8], critic: [8] }, ppo: { stepsPerEnv: 32, epochs: 1, numMinibatches: 2 }, ...extra,
  }, 'test');
}

const run = (config: TrainConfig, outDir: string, iterations: number, resume = false) =>
  train({ config, outDir, resume, progress: false, maxIterations: iterations, skipFinish: true });

/** Every scalar event's step over all event files in tb/ (the file-version events have no summary). */
function scalarSteps(dir: string): number[] {
  const steps: number[] = [];
  for (const f of readdirSync(join(dir, 'tb')).sort()) {
    for (const event of readEventRecords(new Uint8Array(readFileSync(join(dir, 'tb', f))))) {
      if (eventStep(event) > 0) steps.push(eventStep(event));
    }
  }
  return steps;
}

/** Every file under a directory with its bytes, to show that nothing changed. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, f);
    if (statSync(p).isFile()) out.set(f, readFileSync(p).toString('base64'));
  }
  return out;
}

test('after resuming from a checkpoint older than the last logged iteration, no TensorBoard step appears twice', async () => {
  const dir = join(root, 'tb-replay');
  const config = ppoConfig();
  await run(config, dir, 2); // checkpoint at iteration 2
  const atTwo = join(root, 'tb-replay-ckpt');
  cpSync(join(dir, 'checkpoints'), atTwo, { recursive: true });
  await run(config, dir, 2, true); // iterations 3, 4 logged
  // A crash after iteration 4 was logged but with only the iteration-2 checkpoint on disk:
  rmSync(join(dir, 'checkpoints'), { recursive: true });
  cpSync(atTwo, join(dir, 'checkpoints'), { recursive: true });
  await run(config, dir, 3, true); // iterations 3, 4 again, then 5
  const steps = scalarSteps(dir);
  const perIteration = 2 * 32;
  const distinct = [...new Set(steps)].sort((a, b) => a - b);
  assert.deepEqual(distinct, [1, 2, 3, 4, 5].map((i) => i * perIteration));
  // Each logged row is one event per step: a replayed step would show up as a second event.
  const counts = distinct.map((s) => steps.filter((x) => x === s).length);
  assert.deepEqual(counts, [1, 1, 1, 1, 1], `events per step: ${counts}`);
  const csv = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
  assert.deepEqual(csv, [1, 2, 3, 4, 5]);
});

test('a refused --resume leaves every file of the run as it was', async () => {
  const dir = join(root, 'refused');
  await run(ppoConfig(), dir, 2);
  const before = snapshot(dir);
  for (const [change, message] of [
    [{ network: { actor: [16], critic: [8] } }, /network \(checkpoint: .*now: .*Nothing was written/],
    [{ numEnvs: 3 }, /numEnvs/],
    [{ algo: 'a2c' }, /algo/],
  ] as const) {
    await assert.rejects(run(ppoConfig(change), dir, 1, true), message);
    assert.deepEqual(snapshot(dir), before, `files changed after a refused resume (${JSON.stringify(change)})`);
  }
});

test('latest.json that is not JSON, or points outside its folder, is refused naming the file', () => {
  const dir = join(root, 'latest');
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const latest = join(dir, 'checkpoints', 'latest.json');
  writeFileSync(latest, '{"checkpoint": "ckpt-00');
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message.includes(latest) && /not valid JSON/.test(e.message));
  writeFileSync(latest, '{"checkpoint": "../../secret.json"}');
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message.includes(latest) && /ckpt-<iteration>\.json/.test(e.message));
  writeFileSync(latest, '{"checkpoint": "ckpt-0000009.json"}');
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e.message.includes(latest) && /does not exist/.test(e.message));
});

test('temp files and orphan side files are cleaned on resume and finish; a failed rename leaves no temp file', async () => {
  const dir = join(root, 'leftovers');
  await run(ppoConfig(), dir, 2);
  const leftovers = [
    join(dir, '.config.json.tmp-4242-abc123'), join(dir, 'checkpoints', '.ckpt-0000004.json.tmp-4242-abc124'),
    join(dir, 'tb', '.events.tmp-4242-abc125'), join(dir, 'checkpoints', 'ckpt-0000004.replay.bin'),
  ];
  for (const f of leftovers) writeFileSync(f, 'partial');
  const kept = join(dir, 'notes.tmp-by-user.txt'); // not one of ours: left alone
  writeFileSync(kept, 'mine');
  await run(ppoConfig(), dir, 1, true);
  for (const f of leftovers) assert.equal(existsSync(f), false, `${f} left behind`);
  assert.equal(existsSync(kept), true);

  const target = join(root, 'is-a-directory');
  mkdirSync(join(target, 'child'), { recursive: true });
  assert.throws(() => atomicWriteFile(target, 'x'));
  assert.deepEqual(readdirSync(root).filter((f) => f.includes('.tmp-')), []);
});

test('a replay file truncated by whole records (or altered) is refused naming the file, before anything is written', async () => {
  const dir = join(root, 'sac');
  const config = parseTrainConfig({
    algo: 'sac', task: 'pendulum', seed: 2, totalSteps: 100000, numEnvs: 1, checkpointEvery: 1, evalEpisodes: 0,
    network: { actor: [8], critic: [8] }, sac: { learningStarts: 5000, batchSize: 8, bufferSize: 3000 },
  }, 'test');
  await run(config, dir, 1);
  const ckpt = loadCheckpoint<Record<string, unknown>>(dir);
  const replay = join(dir, 'checkpoints', (ckpt.state.sideFiles.replay as { file: string }).file);
  const perTransition = 4 * (3 + 1 + 1 + 3) + 1; // pendulum: 3 observations, 1 action
  const size = statSync(replay).size;
  assert.equal(size % perTransition, 0);
  truncateSync(replay, size - 10 * perTransition);
  const before = snapshot(dir);
  await assert.rejects(run(config, dir, 1, true), (e: Error) => e.message.includes(replay) && /truncated/.test(e.message));
  assert.deepEqual(snapshot(dir), before);
  const bytes = readFileSync(replay);
  writeFileSync(replay, Buffer.concat([bytes, Buffer.alloc(10 * perTransition)]));
  const flipped = readFileSync(replay);
  flipped[100] ^= 0xff;
  writeFileSync(replay, flipped);
  await assert.rejects(run(config, dir, 1, true), (e: Error) => e.message.includes(replay) && /SHA-256/.test(e.message));
});
