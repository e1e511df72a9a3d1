// Sim-to-real proof on a simulated "real" robot: the perturbed robot
// (test/sim2real/fixtures/perturbed-robot.yaml: body 5 kg instead of 4, motors at 0.8 strength,
// 10 ms latency instead of 2) is recorded under the default LQR with a chirp, identified with
// `sysid` (body mass fixed at the weighed value, the rest fitted), and two PPO runs of the
// shipped residual balance config train with the same seed and budget: one on the default robot
// and ranges, one on the identified robot and the proposed randomization. Both are evaluated by
// `ballbot eval --robot perturbed` on the same held-out seeds, with the default ranges around the
// perturbed plant, with the wider `stress` ranges and without randomization; the LQR made for the default robot is the reference.
// Table on stderr, one JSON object on the last stdout line.
// Usage: npm run bench:sim2real [-- --steps N] [-- --episodes N] [-- --seconds S] [-- --seed S]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExcitation } from '../deploy/excitation.js';
import { recordLockstep } from '../hil/lockstep-recording.js';
import { loadRandomizationConfig } from '../sim/config/randomization.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { loadReplayRecording } from '../sim/replay-recording.js';
import { DEFAULT_SYSID_PARAMS, identify } from '../sim/sysid.js';
import { proposeRandomization, writeIdentified } from '../sim/sysid-output.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : fallback; };
const steps = flag('steps', 24576), episodes = flag('episodes', 50), seconds = flag('seconds', 10), seed = flag('seed', 1);
const EVAL_SEED = 777; // held out: training and its evaluations use other seeds
const log = (msg: string) => process.stderr.write(msg + '\n');
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BIN = here('../../bin/ballbot.js');
const TRAIN_CONFIG = here('../../configs/train/ppo-balance.yaml');
const TRAIN_RANDOMIZATION = here('../../configs/randomization/train-wide.yaml'); // what TRAIN_CONFIG trains on
const PERTURBED = here('../../test/sim2real/fixtures/perturbed-robot.yaml');

/** Run the CLI; its stderr (progress) passes through; resolves with the last stdout line as JSON. */
function ballbot(argv: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ballbot ${argv.join(' ')} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ballbot-bench-sim2real-'));
const defaults = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const truth = loadRobotConfig(PERTURBED);

// 1. Record the "real" robot and identify it, starting from the default robot with the body weighed.
const recording = join(dir, 'perturbed.mcap');
await recordLockstep({ file: recording, controllerRobot: defaults, plantRobot: truth, ticks: Math.round(seconds * defaults.control.rateHz), excitation: parseExcitation('chirp:0.3', defaults.motor.maxTorque) });
const weighed = structuredClone(defaults);
weighed.body.mass = truth.body.mass;
const started = performance.now();
const fit = await identify([loadReplayRecording(recording)], weighed, {
  params: DEFAULT_SYSID_PARAMS,
  onEvaluation: (n) => { if (n % 20 === 0) log(`sysid: ${n} replays, ${(n / ((performance.now() - started) / 1000)).toFixed(1)}/s`); },
});
const identifiedRobot = join(dir, 'identified.yaml'), identifiedRandomization = join(dir, 'identified.randomization.yaml');
writeIdentified(identifiedRobot, fit.robot, identifiedRandomization, proposeRandomization(loadRandomizationConfig(TRAIN_RANDOMIZATION), fit.estimates), 'bench:sim2real');
for (const e of fit.estimates) log(`identified ${e.name}: ${e.value.toPrecision(4)} +- ${e.std.toPrecision(2)} ${e.unit}`);

// 2. Two runs of the same config, seed and budget: default robot and ranges vs identified ones.
const runs = {
  defaults: { dir: join(dir, 'defaults'), set: [] as string[], controllerRobot: DEFAULT_ROBOT_CONFIG },
  identified: { dir: join(dir, 'identified'), set: ['--set', `env.robot=${identifiedRobot}`, '--set', `env.randomize=${identifiedRandomization}`], controllerRobot: identifiedRobot },
};
const trainSeconds: Record<string, number> = {};
for (const [name, run] of Object.entries(runs)) {
  log(`\ntraining '${name}': ${steps} steps, seed ${seed}`);
  const t0 = performance.now();
  await ballbot(['train', '--config', TRAIN_CONFIG, '--out', run.dir, '--steps', String(steps), '--seed', String(seed), '--set', 'evalEpisodes=0', ...run.set, '--json']);
  trainSeconds[name] = (performance.now() - t0) / 1000;
}

// 3. Every controller on the perturbed plant, the same held-out seeds.
const conditions = { 'default ranges': [] as string[], stress: ['--randomization', 'stress'], nominal: ['--no-randomize'] };
const rows: Record<string, unknown>[] = [];
for (const [condition, extra] of Object.entries(conditions)) {
  const common = ['--robot', PERTURBED, '--episodes', String(episodes), '--seed', String(EVAL_SEED), '--json', ...extra];
  const controllers: Record<string, string[]> = {
    'LQR (default robot)': ['--controller', 'lqr'],
    'PPO on defaults': ['--policy', join(runs.defaults.dir, 'policy.onnx'), '--controller-robot', runs.defaults.controllerRobot],
    'PPO on identified': ['--policy', join(runs.identified.dir, 'policy.onnx'), '--controller-robot', runs.identified.controllerRobot],
  };
  for (const [controller, argv] of Object.entries(controllers)) {
    const r = await ballbot(['eval', ...argv, ...common]);
    rows.push({ condition, controller, successRate: r.successRate, meanReturn: r.meanReturn, maxTiltDeg: r.maxTiltDeg, meanActionChange: r.meanActionChange, pushRecoveryRate: r.pushRecoveryRate });
  }
}

const f = (x: unknown, d = 3) => (typeof x === 'number' ? x.toFixed(d) : String(x));
log(`\nperturbed robot, ${episodes} held-out episodes (seed ${EVAL_SEED}); PPO ${steps} steps each, seed ${seed}`);
log(`${'condition'.padEnd(15)} ${'controller'.padEnd(20)} ${'success'.padStart(8)} ${'return'.padStart(8)} ${'max tilt'.padStart(9)} ${'d action'.padStart(9)}`);
for (const r of rows) log(`${String(r.condition).padEnd(15)} ${String(r.controller).padEnd(20)} ${f(r.successRate, 2).padStart(8)} ${f(r.meanReturn, 1).padStart(8)} ${f(r.maxTiltDeg, 1).padStart(9)} ${f(r.meanActionChange).padStart(9)}`);
process.stdout.write(JSON.stringify({ steps, seed, episodes, evalSeed: EVAL_SEED, recordingSeconds: seconds, estimates: fit.estimates, trainSeconds, rows }) + '\n');
