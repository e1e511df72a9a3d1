// ballbot sim: run the simulation with a controller (LQR baseline, zero torque or an ONNX
// policy) through the same observation and action path a policy uses.
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { shippedRobotNamed, type RobotConfig } from '../../sim/config/robot.js';
import type { TaskConfig } from '../../sim/config/task.js';
import { taskPerceptionInputs } from '../../sim/perception/layout.js';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';
import { readFileSync } from 'node:fs';
import { createZeroController, type Controller } from '../../sim/controller.js';
import { createLqrController } from '../../sim/lqr.js';
import { actionToTorque, OBSERVATION_LAYOUT } from '../../sim/observation.js';
import { headerFor, RecordingWriter, frameFromTruth, terrainForRecording } from '../../sim/recording.js';
import { runRollout } from '../../sim/rollout.js';
import type { Terrain } from '../../sim/terrain.js';
import { numberFlag, parseCommand, printJsonLine, UsageError, seedFlag, inputFileFlag } from '../args.js';

const usage = `usage: ballbot sim [options]
  --task NAME|FILE       balance (default), velocity, terrain, or a task YAML
  --controller NAME      lqr (default) | zero | policy (needs --policy)
  --policy FILE.onnx     run an exported policy (implies --controller policy)
  --seconds S            simulated seconds (default 30)
  --seed N               episode seed (default 1)
  --init-tilt-deg X      start tilt in degrees (default: the task's range)
  --push S:VX,VY         push the body by (VX, VY) m/s at time S (repeatable)
  --randomize [FILE]     domain randomization (default ranges, or a YAML file); off by default
  --robot FILE           robot config (default configs/robot/default.yaml)
  --record FILE          save the episode for \`ballbot view\`
  --json                 print one JSON object on the last line`;

/** The value `--randomize` gets when given without a file. */
const DEFAULT_RANGES = '(default ranges)';

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        task: { type: 'string' }, controller: { type: 'string' }, policy: { type: 'string' },
        seconds: { type: 'string' }, seed: { type: 'string' }, 'init-tilt-deg': { type: 'string' },
        push: { type: 'string', multiple: true }, randomize: { type: 'string' },
        robot: { type: 'string' }, record: { type: 'string' }, json: { type: 'boolean' },
      },
      valueWhenAlone: { randomize: DEFAULT_RANGES },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const seconds = numberFlag(v.seconds, 'seconds', 30, { min: 0.01, max: 86400 });
  const seed = seedFlag(v.seed, 1);
  const initTiltDeg = v['init-tilt-deg'] === undefined ? undefined : numberFlag(v['init-tilt-deg'], 'init-tilt-deg', 0, { min: -45, max: 45 });
  const pushes = (v.push ?? []).map(parsePush);
  const late = (v.push ?? []).filter((_, i) => pushes[i].atS >= seconds);
  if (late.length) throw new UsageError(`--push ${late.map((p) => `'${p}'`).join(', ')} can never happen: the episode stops after --seconds ${seconds}`);
  if (v.policy && v.controller && v.controller !== 'policy') throw new UsageError(`--policy runs the policy; drop --controller ${v.controller}`);
  // Without --robot, a policy runs on the shipped robot it was trained for (e.g. the one with the height scan).
  const policyFile = inputFileFlag(v.policy, 'policy');
  const config = resolveEnvConfig({
    task: v.task ?? 'balance',
    robot: v.robot ?? (policyFile ? shippedRobotNamed(readArtifactMetadata(readFileSync(policyFile), policyFile).robotName) : undefined),
    randomize: v.randomize === undefined ? false : v.randomize === DEFAULT_RANGES ? true : v.randomize,
  });
  const controllerName = v.policy ? 'policy' : (v.controller ?? 'lqr');
  const { controller, close, maxTorqueNm } = await makeController(controllerName, policyFile, config.robot, config.task);

  // Created once the episode (and its terrain) exists.
  const recording: { writer: RecordingWriter | null } = { writer: null };
  const startRecording = (terrain: Terrain | null) => {
    const source = { command: 'sim', task: config.task.name, controller: controllerName, seed };
    recording.writer = new RecordingWriter(v.record!, headerFor(config.robot, 1 / config.robot.control.rateHz, { source, terrain: terrainForRecording(terrain) }));
  };
  const torque = new Float64Array(3);
  try {
    const result = await runRollout(config, controller, {
      seconds, seed, initTiltDeg, pushes,
      onStart: v.record ? startRecording : undefined,
      onStep: v.record
        ? (truth, action, command) => {
            actionToTorque(action, maxTorqueNm, torque);
            recording.writer!.frame(frameFromTruth(truth, { rawTorque: torque, safeTorque: torque, rawAction: action, safeAction: action, command }));
          }
        : undefined,
      onPush: v.record ? (t, dvx, dvy) => recording.writer!.event({ kind: 'push', t, dv: [dvx, dvy] }) : undefined,
    });
    recording.writer?.close();
    const summary = { task: config.task.name, controller: controllerName, seed, randomized: config.randomization !== null, ...result };
    if (!v.json) {
      console.log(`${summary.fell ? 'FELL' : 'stayed up'} after ${result.simSeconds.toFixed(2)} s: max tilt ${result.maxTiltDeg.toFixed(2)} deg (after 3 s: ${result.maxTiltDegAfter3s.toFixed(2)} deg), final distance ${result.finalDistanceM.toFixed(3)} m`);
      if (recording.writer) console.log(`recording: ${v.record} (open it with: npx ballbot view ${v.record})`);
    } else printJsonLine(summary);
    return 0;
  } catch (err) {
    recording.writer?.abort();
    throw err;
  } finally {
    close();
  }
}

function parsePush(text: string): { atS: number; dvx: number; dvy: number } {
  const m = /^([^:]+):([^,]+),(.+)$/.exec(text);
  const [atS, dvx, dvy] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  if (!m || ![atS, dvx, dvy].every(Number.isFinite) || atS < 0) throw new UsageError(`--push '${text}' must look like S:VX,VY with numbers and S >= 0 (e.g. 5:0.5,0)`);
  return { atS, dvx, dvy };
}

interface SimController {
  controller: Controller;
  close: () => void;
  /** What action 1.0 means, N m: the training env applies the robot's motor rating. */
  maxTorqueNm: number;
}

async function makeController(name: string, policyFile: string | undefined, robot: RobotConfig, task: TaskConfig): Promise<SimController> {
  const maxTorqueNm = robot.motor.maxTorque;
  if (name === 'lqr') return { controller: createLqrController(robot), close: () => {}, maxTorqueNm };
  if (name === 'zero') return { controller: createZeroController(), close: () => {}, maxTorqueNm };
  if (name === 'policy') {
    if (!policyFile) throw new UsageError('--controller policy needs --policy FILE.onnx');
    // It feeds the perception inputs only when the task computes them.
    const inputs = { obs: OBSERVATION_LAYOUT, ...taskPerceptionInputs(robot, task) };
    const policy = await OnnxPolicy.load(policyFile, ballbotCaller('ballbot sim', robot, robot.control.rateHz, { fixedFullScaleNm: maxTorqueNm, inputs }));
    return { controller: policy, close: () => policy.close(), maxTorqueNm };
  }
  throw new UsageError(`--controller must be lqr, zero or policy, got '${name}'`);
}
