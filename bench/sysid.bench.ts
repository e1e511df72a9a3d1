// System identification figures: a perturbed robot (test/sim2real/fixtures/perturbed-robot.yaml:
// body 5 kg instead of 4, motors at 0.8 strength, 10 ms latency instead of 2) recorded for 10 s
// in simulated time under the LQR made for the default robot, without excitation, with a chirp and
// with a PRBS (0.3 N m), and fitted from the default robot: the default parameter set on each
// recording; body mass with the other two, with fitted (multiple shooting) and recorded window
// starts; and, with the body mass weighed (set to the true value, as a user would), the plant
// parameters but inertia, then every other plant parameter. Prints a table on stderr and one JSON object on the last stdout line.
// Usage: npm run bench:sysid [-- --seconds S] [-- --params a,b] (--params: only the first three cases, with that set)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExcitation } from '../deploy/excitation.js';
import { recordLockstep } from '../hil/lockstep-recording.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { loadReplayRecording } from '../sim/replay-recording.js';
import { DEFAULT_SYSID_PARAMS, identify, SYSID_PARAMETERS } from '../sim/sysid.js';

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const seconds = Number(flag('seconds') ?? 10);
const params = flag('params')?.split(',') ?? DEFAULT_SYSID_PARAMS;
const custom = flag('params') !== undefined;
const log = (msg: string) => process.stderr.write(msg + '\n');

const initial = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const truth = loadRobotConfig(fileURLToPath(new URL('../../test/sim2real/fixtures/perturbed-robot.yaml', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'ballbot-bench-sysid-'));
const rows: Record<string, unknown>[] = [];

interface Case { excite: string; params: string[]; startStates: 'fit' | 'recorded'; weighedMass: boolean }
const cases: Case[] = ['none', 'chirp:0.3', 'prbs:0.3'].map((excite) => ({ excite, params, startStates: 'fit', weighedMass: false }));
if (!custom) {
  const withMass = ['bodyMass', ...DEFAULT_SYSID_PARAMS];
  cases.push({ excite: 'chirp:0.3', params: withMass, startStates: 'fit', weighedMass: false });
  cases.push({ excite: 'chirp:0.3', params: withMass, startStates: 'recorded', weighedMass: false });
  cases.push({ excite: 'chirp:0.3', params: ['comHeight', 'motorStrength', 'motorTimeConstant', 'latency', 'spinDamping'], startStates: 'fit', weighedMass: true });
  cases.push({ excite: 'chirp:0.3', params: ['comHeight', 'inertia', 'motorStrength', 'motorTimeConstant', 'latency', 'rollingDamping', 'spinDamping', 'gyroBias'], startStates: 'fit', weighedMass: true });
}

const recordings = new Map<string, { file: string; maxTiltDeg: number }>();
for (const c of cases) {
  if (!recordings.has(c.excite)) {
    const file = join(dir, `${c.excite.replace(':', '-')}.mcap`);
    const maxTiltDeg = await recordLockstep({
      file, controllerRobot: initial, plantRobot: truth, ticks: Math.round(seconds * initial.control.rateHz),
      excitation: c.excite === 'none' ? undefined : parseExcitation(c.excite, initial.motor.maxTorque),
    });
    recordings.set(c.excite, { file, maxTiltDeg });
  }
  const { file, maxTiltDeg } = recordings.get(c.excite)!;
  const start = structuredClone(initial);
  if (c.weighedMass) start.body.mass = truth.body.mass;
  const label = `${c.excite}, ${c.params.join(',')}${c.startStates === 'recorded' ? ', recorded starts' : ''}${c.weighedMass ? ', mass weighed' : ''}`;
  const started = performance.now();
  const result = await identify([loadReplayRecording(file)], start, {
    params: c.params, startStates: c.startStates,
    onEvaluation: (n, gap) => {
      if (n % 20 === 0) log(`  ${label}: ${n} replays, ${(n / ((performance.now() - started) / 1000)).toFixed(1)} replays/s, residual ${gap.toFixed(4)}`);
    },
  });
  const s = (performance.now() - started) / 1000;
  const estimates = result.estimates.map((e) => {
    const spec = SYSID_PARAMETERS[e.name];
    const trueValue = e.name === 'inertia' ? 1 : spec ? spec.get(truth) : 0;
    return { ...e, true: trueValue, errorPct: trueValue ? (100 * (e.value - trueValue)) / trueValue : null };
  });
  log(`\n${label}: max tilt ${maxTiltDeg.toFixed(1)} deg, gap ${result.before[0].normalizedGap.toFixed(4)} -> ${result.after[0].normalizedGap.toFixed(4)}, ${result.evaluations} replays in ${s.toFixed(1)} s`);
  for (const e of estimates) {
    log(`  ${e.name.padEnd(18)} ${e.value.toPrecision(4).padStart(10)} +- ${e.std.toPrecision(2).padEnd(8)} true ${e.true.toPrecision(4).padStart(8)}  ${e.errorPct === null ? '' : `${e.errorPct.toFixed(1)}%`}`);
  }
  rows.push({ ...c, maxTiltDeg, gapBefore: result.before[0].normalizedGap, gapAfter: result.after[0].normalizedGap, seconds: s, evaluations: result.evaluations, estimates });
}
process.stdout.write(JSON.stringify({ recordingSeconds: seconds, runs: rows }) + '\n');
