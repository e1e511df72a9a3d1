// `ballbot replay FILE.mcap [--robot FILE] [--json]`: how far the sim is from the robot that made
// a deploy recording, per signal (sim/replay.ts). See docs/sysid.md.
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadReplayRecording, replayRobot } from '../../sim/replay-recording.js';
import { replayOnce, type ReplayGap } from '../../sim/replay.js';
import { numberFlag, parseCommand, printJsonLine, UsageError } from '../args.js';

const spec = {
  usage: `usage: ballbot replay FILE.mcap [--robot FILE] [--window S] [--json]

Starts the simulator from the recorded sensor state, applies the recorded commands open loop over
short windows (re-synchronised from the recording after each) and reports per-signal gaps:
RMSE, bias (replay minus robot) and lag (cross-correlation) of tilt, gyro, wheel speeds and the
ball velocity the sensors imply.

  --robot FILE   robot config to simulate (default: the one the recording names, else
                 configs/robot/default.yaml); must be the same robot (name, rate)
  --window S     open-loop window, s (default 0.2)
  --json         print the result as one JSON object on the last line`,
  positionals: true,
  options: { robot: { type: 'string' }, window: { type: 'string' }, json: { type: 'boolean' } },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(spec, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length !== 1) throw new UsageError(`give exactly one recording FILE.mcap\n${spec.usage}`);
  const windowS = numberFlag(v.window, 'window', 0.2, { min: 0.01, max: 5 });
  const rec = loadReplayRecording(parsed.positionals[0]);
  const robot = replayRobot(rec, v.robot, DEFAULT_ROBOT_CONFIG);
  const { gap } = await replayOnce(rec, robot, { windowS });
  const result = { file: rec.file, robot: robot.name, windowS, ...gap };
  if (v.json) printJsonLine(result);
  else printGap(result.file, gap);
  return 0;
}

export function printGap(file: string, gap: ReplayGap): void {
  const lines = [`replay ${file}: ${gap.windows} windows, ${gap.samples} samples, normalised gap ${gap.normalizedGap.toFixed(4)}`];
  lines.push(`  ${'signal'.padEnd(8)} ${'rmse'.padStart(10)} ${'bias'.padStart(10)} ${'lag ms'.padStart(7)} ${'robot std'.padStart(10)}  unit`);
  for (const [name, s] of Object.entries(gap.signals)) {
    lines.push(`  ${name.padEnd(8)} ${s.rmse.toPrecision(3).padStart(10)} ${s.bias.toPrecision(2).padStart(10)} ${String(s.lagMs).padStart(7)} ${s.recordedStd.toPrecision(3).padStart(10)}  ${s.unit}`);
  }
  console.log(lines.join('\n'));
}
