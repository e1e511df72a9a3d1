// System identification figures: a perturbed robot (test/sim2real/fixtures/perturbed-robot.yaml:
// body 5 kg instead of 4, motors at 0.8 strength, 10 ms latency instead of 2) recorded for 10 s
// in simulated time under the LQR made for the default robot, without excitation, with a chirp and
// with a PRBS (0.3 N m); each recording fitted from the default robot with the default parameter
// set. Prints a table on stderr and one JSON object on the last stdout line.
// Usage: npm run bench:sysid [-- --seconds S] [-- --params a,b]
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
const log = (msg: string) => process.stderr.write(msg + '\n');

const initial = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const truth = loadRobotConfig(fileURLToPath(new URL('../../test/sim2real/fixtures/perturbed-robot.yaml', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'ballbot-bench-sysid-'));
const rows: Record<string, unknown>[] = [];

for (const excite of ['none', 'chirp:0.3', 'prbs:0.3']) {
  const file = join(dir, `${excite.replace(':', '-')}.mcap`);
  const maxTiltDeg = await recordLockstep({
    file, controllerRobot: initial, plantRobot: truth, ticks: Math.round(seconds * initial.control.rateHz),
    excitation: excite === 'none' ? undefined : parseExcitation(excite, initial.motor.maxTorque),
  });
  const started = performance.now();
  const result = await identify([loadReplayRecording(file)], initial, {
    params,
    onEvaluation: (n, gap) => {
      if (n % 20 === 0) log(`  ${excite}: ${n} replays, ${(n / ((performance.now() - started) / 1000)).toFixed(1)} replays/s, residual ${gap.toFixed(4)}`);
    },
  });
  const s = (performance.now() - started) / 1000;
  const estimates = result.estimates.map((e) => {
    const spec = SYSID_PARAMETERS[e.name];
    const trueValue = e.name === 'inertia' ? 1 : spec ? spec.get(truth) : 0;
    return { ...e, true: trueValue, errorPct: trueValue ? (100 * (e.value - trueValue)) / trueValue : null };
  });
  log(`\n${excite}: max tilt ${maxTiltDeg.toFixed(1)} deg, gap ${result.before[0].normalizedGap.toFixed(4)} -> ${result.after[0].normalizedGap.toFixed(4)}, ${result.evaluations} replays in ${s.toFixed(1)} s`);
  for (const e of estimates) {
    log(`  ${e.name.padEnd(18)} ${e.value.toPrecision(4).padStart(10)} +- ${e.std.toPrecision(2).padEnd(8)} true ${e.true.toPrecision(4).padStart(8)}  ${e.errorPct === null ? '' : `${e.errorPct.toFixed(1)}%`}`);
  }
  rows.push({ excitation: excite, maxTiltDeg, gapBefore: result.before[0].normalizedGap, gapAfter: result.after[0].normalizedGap, seconds: s, evaluations: result.evaluations, estimates });
}
process.stdout.write(JSON.stringify({ recordingSeconds: seconds, params, runs: rows }) + '\n');
