// bench:loop: the deploy control loop at 200 Hz for 60 s on the sim link with a real ONNX
// policy (64x64 tanh, random weights), while child processes keep CPUs busy (two by default:
// both cores of a 2-core machine). Prints one JSON object (last stdout line): inference and
// loop timing percentiles, missed deadlines, the machine's load average, what --realtime got.
//   npm run bench:loop -- --json [--seconds 60] [--rate 200] [--spin-us 0] [--hogs 2] [--realtime [--no-pin]]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { defaultDeployConfig } from '../deploy/config.js';
import { runDeploy } from '../deploy/index.js';
import { OnnxPolicy } from '../deploy/onnx-policy.js';
import { SimLink } from '../deploy/links/sim-link.js';
import { SampleStats, r1 } from '../deploy/stats.js';
import { ballbotCaller } from '../sim/artifact-check.js';
import { applyRealtime } from '../deploy/realtime.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { writeRandomPolicy } from '../training/io/random-policy.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' }, seconds: { type: 'string' }, rate: { type: 'string' }, 'spin-us': { type: 'string' }, hogs: { type: 'string' },
    realtime: { type: 'boolean' }, 'no-pin': { type: 'boolean' },
  },
});
const hogCount = Number(values.hogs ?? 2);
if (!(Number.isInteger(hogCount) && hogCount >= 0)) throw new Error(`--hogs must be a whole number >= 0, got '${values.hogs}'`);
const seconds = Number(values.seconds ?? 60);
const rateHz = Number(values.rate ?? 200);
const spinUs = Number(values['spin-us'] ?? 0);

const base = loadRobotConfig(new URL('../../configs/robot/default.yaml', import.meta.url).pathname);
// The sim steps at the loop rate too, with the largest physics step <= the configured one that
// divides the period (the robot schema refuses one that does not).
const substeps = Math.max(1, Math.ceil(1 / rateHz / base.control.physicsDt - 1e-9));
const robot = { ...base, control: { ...base.control, rateHz, physicsDt: 1 / rateHz / substeps } };
const policyFile = writeRandomPolicy({ robot, rateHz, seed: 1, dir: mkdtempSync(join(tmpdir(), 'ballbot-bench-')) });

// Inference alone, in a tight loop, for comparison with inference inside the loop.
const isolated = new SampleStats();
{
  const p = await OnnxPolicy.load(policyFile, ballbotCaller('bench:loop', robot, rateHz));
  const obs = new Float32Array(15).fill(0.1), out = new Float32Array(3);
  for (let i = 0; i < 20_000; i++) {
    obs[0] = Math.sin(i);
    const t = performance.now();
    p.act(obs, out);
    isolated.add((performance.now() - t) * 1000);
  }
  p.close();
}

// CPU hogs: other processes spinning for the whole run (started before --realtime, so they
// keep the ordinary scheduling class).
const hogs = Array.from({ length: hogCount }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const realtime = values.realtime ? applyRealtime(process.pid, { pin: !values['no-pin'] }) : [];
for (const line of realtime) process.stderr.write(`bench:loop: --realtime: ${line}\n`);
const loadBefore = loadavg()[0];

// Timing is the subject: the tilt cutoff is off (random weights do not balance, and the loop
// must stay armed so the policy runs every tick) and the overrun e-stop is wide.
const config = defaultDeployConfig([
  `rateHz=${rateHz}`, 'sim.randomize=false', 'safety.tiltCutoff.enabled=false',
  'safety.deadlineOverruns.maxConsecutive=1000', 'safety.staleState.timeoutMs=1000', 'safety.linkHealth.maxSilenceMs=2000',
  `timing.spinUs=${spinUs}`,
]);
const bar = new cliProgress.SingleBar({ format: 'bench:loop [{bar}] {value}/{total} s | ETA {eta}s', stream: process.stderr }, cliProgress.Presets.shades_classic);
bar.start(seconds, 0);
const t0 = performance.now();
const progress = setInterval(() => bar.update(Math.min(seconds, Math.floor((performance.now() - t0) / 1000))), 1000);
try {
  // Steady state: ticks after the first second (JIT and first garbage collections happen before).
  const steadyLateness = new SampleStats();
  let steadyTicks = 0, steadyMissed = 0, lastTick = -1;
  const steadyFrom = rateHz;
  const s = await runDeploy({
    policy: policyFile, robot, config, arm: true, seconds, log: () => {},
    onTick: (r) => {
      if (r.tick >= steadyFrom) {
        steadyTicks++;
        if (lastTick >= steadyFrom) steadyMissed += r.tick - lastTick - 1;
        steadyLateness.add(r.latenessUs);
      }
      lastTick = r.tick;
    },
    link: new SimLink({ robot, ...config.sim, stateLatencyMs: 0, dropoutProb: 0 }),
  });
  clearInterval(progress);
  bar.update(seconds);
  bar.stop();
  const [i50, i99] = isolated.percentiles(50, 99);
  const result = {
    bench: 'loop', rateHz, seconds, hogs: hogCount, spinUs, realtime, loadAverage1mBefore: r1(loadBefore), loadAverage1mAfter: r1(loadavg()[0]),
    inferenceUsP50: s.inferenceUsP50, inferenceUsP99: s.inferenceUsP99,
    inferenceIsolatedUsP50: r1(i50), inferenceIsolatedUsP99: r1(i99),
    latenessUsP50: s.latenessUsP50, latenessUsP99: s.latenessUsP99, latenessUsMax: s.latenessUsMax,
    wakeLatenessUsP50: s.wakeLatenessUsP50, wakeLatenessUsP99: s.wakeLatenessUsP99,
    computeUsP50: s.computeUsP50, computeUsP99: s.computeUsP99,
    stateToCommandUsP50: s.stateToCommandUsP50, stateToCommandUsP99: s.stateToCommandUsP99,
    ticks: s.ticks, missedDeadlines: s.missedDeadlines, missedPercent: Math.round(10000 * s.missedFraction) / 100,
    overruns: s.overruns, estops: s.estops,
    steadyState: {
      fromTick: steadyFrom, ticks: steadyTicks, missedDeadlines: steadyMissed,
      missedPercent: steadyTicks ? Math.round(10000 * steadyMissed / (steadyTicks + steadyMissed)) / 100 : null,
      latenessUsP50: r1(steadyLateness.percentiles(50)[0]), latenessUsP99: r1(steadyLateness.percentiles(99)[0]),
    },
  };
  if (!values.json) process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  clearInterval(progress);
  for (const h of hogs) h.kill('SIGKILL');
}
