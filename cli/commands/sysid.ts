// `ballbot sysid FILE.mcap... [--robot FILE] [--params a,b] --out configs/robot/NAME.yaml [--json]`:
// fit robot parameters to deploy recordings (sim/sysid.ts). See docs/sysid.md.
import { basename, dirname, join } from 'node:path';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_RANDOMIZATION_CONFIG, DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { assertSameRobot, loadReplayRecording } from '../../sim/replay-recording.js';
import { START_STATE_SIZE } from '../../sim/replay.js';
import { DEFAULT_SYSID_PARAMS, identify, SYSID_PARAMETER_NAMES } from '../../sim/sysid.js';
import { proposeRandomization, writeIdentified } from '../../sim/sysid-output.js';
import { numberFlag, parseCommand, printJsonLine, UsageError } from '../args.js';

const spec = {
  usage: `usage: ballbot sysid FILE.mcap... --out configs/robot/NAME.yaml [--robot FILE] [--params a,b,...] [--json]

Fits robot parameters so that replaying the recordings (ballbot replay) matches what the robot's
sensors reported, with Levenberg-Marquardt; prints each estimate with one standard deviation and
the gap before and after; writes the identified robot YAML and a randomization YAML centred on
the estimates (widths from the uncertainties).

  --out FILE              identified robot config to write
  --randomization-out F   proposed randomization (default: NAME.randomization.yaml beside --out)
  --robot FILE            starting robot config (default: the one the recording names)
  --randomization FILE    ranges to start the proposal from (default configs/randomization/default.yaml)
  --params a,b,...        what to fit (default ${DEFAULT_SYSID_PARAMS.join(',')});
                          known: ${SYSID_PARAMETER_NAMES.join(', ')}
  --window S              open-loop replay window, s (default 0.2)
  --iterations N          Levenberg-Marquardt iterations (default 15)
  --json                  print the result as one JSON object on the last line`,
  positionals: true,
  options: {
    out: { type: 'string' }, 'randomization-out': { type: 'string' }, robot: { type: 'string' }, randomization: { type: 'string' },
    params: { type: 'string' }, window: { type: 'string' }, iterations: { type: 'string' }, json: { type: 'boolean' },
  },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(spec, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!parsed.positionals.length) throw new UsageError(`give one or more recordings FILE.mcap\n${spec.usage}`);
  if (!v.out) throw new UsageError(`give --out configs/robot/NAME.yaml for the identified robot\n${spec.usage}`);
  const params = v.params ? v.params.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_SYSID_PARAMS;
  const unknown = params.filter((p) => !SYSID_PARAMETER_NAMES.includes(p));
  if (unknown.length) throw new UsageError(`--params: unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `'${p}'`).join(', ')} (known: ${SYSID_PARAMETER_NAMES.join(', ')})`);
  const windowS = numberFlag(v.window, 'window', 0.2, { min: 0.01, max: 5 });
  const maxIterations = numberFlag(v.iterations, 'iterations', 15, { min: 1, max: 1000, integer: true });
  const recordings = parsed.positionals.map(loadReplayRecording);
  const robot = v.robot ? loadRobotConfig(v.robot) : recordings[0].robot ?? loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  for (const rec of recordings) assertSameRobot(rec, robot, v.robot ?? 'the first recording\'s robot config');
  const baseRandomization = loadRandomizationConfig(v.randomization ?? DEFAULT_RANDOMIZATION_CONFIG);

  const started = performance.now();
  const perIteration = params.length + (params.includes('gyroBias') ? 3 : 1);
  const result = await identify(recordings, robot, {
    params, windowS, maxIterations,
    onEvaluation: (n, gap) => {
      const tty = process.stderr.isTTY;
      if (!tty && n % 20 !== 0) return; // a log file gets a line every 20 replays
      const s = (performance.now() - started) / 1000;
      // Two rounds (multiple shooting), each measuring the start-state sensitivities first.
      const total = 2 * ((maxIterations + 2) * perIteration + START_STATE_SIZE + 1);
      const eta = Math.max(0, (total - n) / (n / s));
      process.stderr.write(`${tty ? '\r' : ''}sysid: ${n} replays (${(n / s).toFixed(1)}/s), mean squared residual ${gap.toFixed(4)}, ETA <= ${eta.toFixed(0)} s${tty ? '   ' : '\n'}`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const randomizationOut = v['randomization-out'] ?? join(dirname(v.out), `${basename(v.out).replace(/\.ya?ml$/, '')}.randomization.yaml`);
  const header = [
    `Identified by ballbot sysid from ${recordings.map((r) => r.file).join(', ')}`,
    ...result.estimates.map((e) => `${e.name}: ${fmt(e.value)} +- ${fmt(e.std)} ${e.unit} (started at ${fmt(e.initial)})`),
  ].join('\n');
  writeIdentified(v.out, result.robot, randomizationOut, proposeRandomization(baseRandomization, result.estimates), header);
  const summary = {
    recordings: recordings.map((r) => r.file), out: v.out, randomizationOut, params,
    estimates: result.estimates, gyroBias: result.gyroBias,
    gapBefore: result.before.map((g) => g.normalizedGap), gapAfter: result.after.map((g) => g.normalizedGap),
    samples: result.after.map((g) => g.samples), evaluations: result.evaluations, iterations: result.iterations,
    seconds: (performance.now() - started) / 1000,
  };
  if (v.json) printJsonLine(summary);
  else {
    console.log(`sysid: ${result.evaluations} replays in ${summary.seconds.toFixed(1)} s; normalised gap ${summary.gapBefore.map(fmt).join(', ')} -> ${summary.gapAfter.map(fmt).join(', ')}`);
    for (const e of result.estimates) console.log(`  ${e.name.padEnd(18)} ${fmt(e.value).padStart(10)} +- ${fmt(e.std).padEnd(10)} ${e.unit} (was ${fmt(e.initial)})`);
    console.log(`  wrote ${v.out} and ${randomizationOut}`);
  }
  return 0;
}

const fmt = (x: number) => x.toPrecision(4);
