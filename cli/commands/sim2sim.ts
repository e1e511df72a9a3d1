// `ballbot sim2sim (--policy FILE.onnx | --controller lqr) [--episodes N] [--json]`: the same
// controller, robot config and observation path in Rapier and in MuJoCo on the same seeds and
// initial conditions (sim/sim2sim.ts). See docs/sim2sim.md.
import { ballbotCaller } from '../../sim/artifact-check.js';
import { LqrPolicy } from '../../deploy/lqr-policy.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import type { Policy } from '../../deploy/policy.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { runSim2sim, type EngineSummary } from '../../sim/sim2sim.js';
import { numberFlag, parseCommand, printJsonLine, UsageError } from '../args.js';

const spec = {
  usage: `usage: ballbot sim2sim (--policy FILE.onnx | --controller lqr) [--episodes N] [--seconds S] [--seed S] [--robot FILE] [--json]

Runs each episode (a 1-4 deg tilt from rest, a 0.2-0.5 m/s push at 2 s) in Rapier and in MuJoCo
with the same seed, and reports success (never past 20 deg) and tilt statistics per engine.

  --policy FILE      ONNX policy artifact (refused if made for another robot or rate)
  --controller lqr   the LQR baseline instead
  --episodes N       episodes (default 20), seeds --seed .. --seed + N - 1 (default seed 1000)
  --seconds S        episode length (default 6)
  --robot FILE       robot config (default configs/robot/default.yaml)
  --json             print the result as one JSON object on the last line`,
  options: {
    policy: { type: 'string' }, controller: { type: 'string' }, episodes: { type: 'string' }, seconds: { type: 'string' },
    seed: { type: 'string' }, robot: { type: 'string' }, json: { type: 'boolean' },
  },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(spec, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'\n${spec.usage}`);
  if (!v.policy === !v.controller) throw new UsageError(`give either --policy FILE.onnx or --controller lqr\n${spec.usage}`);
  if (v.controller && v.controller !== 'lqr') throw new UsageError(`--controller must be 'lqr', got '${v.controller}'`);
  const episodes = numberFlag(v.episodes, 'episodes', 20, { min: 1, max: 10000, integer: true });
  const seconds = numberFlag(v.seconds, 'seconds', 6, { min: 0.1, max: 600 });
  const seed = numberFlag(v.seed, 'seed', 1000, { integer: true });
  const robot = loadRobotConfig(v.robot ?? DEFAULT_ROBOT_CONFIG);
  let policy: Policy;
  if (v.policy) {
    policy = await OnnxPolicy.load(v.policy, ballbotCaller('ballbot sim2sim', robot, robot.control.rateHz));
  } else {
    policy = await LqrPolicy.create(robot, robot.control.rateHz);
  }
  const started = performance.now();
  try {
    const result = await runSim2sim(policy, robot, {
      episodes, seconds, seed,
      onEpisode: (done) => {
        const s = (performance.now() - started) / 1000;
        const line = `sim2sim: ${done}/${episodes} episodes (${(done / s).toFixed(2)}/s), ETA ${((episodes - done) / (done / s)).toFixed(0)} s`;
        process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${line}\n`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const brief = (e: EngineSummary) => ({ ...e, episodes: undefined });
    if (v.json) printJsonLine({ policy: policy.name, robot: robot.name, ...result, rapierEpisodes: result.rapier.episodes, mujocoEpisodes: result.mujoco.episodes, rapier: brief(result.rapier), mujoco: brief(result.mujoco) });
    else {
      const row = (name: string, e: EngineSummary) =>
        `  ${name.padEnd(7)} success ${(100 * e.successRate).toFixed(0).padStart(3)}%  max tilt mean ${e.meanMaxTiltDeg.toFixed(2)} deg, worst ${e.worstMaxTiltDeg.toFixed(2)}, after push ${e.meanMaxTiltAfterPushDeg.toFixed(2)}, rms ${e.meanRmsTiltDeg.toFixed(2)}`;
      console.log([`sim2sim: ${policy.name} on ${robot.name}, ${episodes} episodes of ${seconds} s`, row('rapier', result.rapier), row('mujoco', result.mujoco),
        `  mean |max tilt difference| ${result.meanAbsMaxTiltDifferenceDeg.toFixed(2)} deg; engines disagree on ${result.disagreements} episodes`].join('\n'));
    }
  } finally {
    policy.close();
  }
  return 0;
}
