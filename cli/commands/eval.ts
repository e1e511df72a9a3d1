// `ballbot eval`: evaluate a run, an ONNX policy (through onnxruntime-node) or the LQR
// baseline on held-out seeds, with full randomization and pushes unless told otherwise.
import { readFileSync } from 'node:fs';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { ballbotCaller, type CallerCapabilities } from '../../sim/artifact-check.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadRobotConfig, shippedRobotNamed, type RobotConfig } from '../../sim/config/robot.js';
import { loadTask } from '../../sim/config/task.js';
import { OBSERVATION_LAYOUT } from '../../sim/observation.js';
import { taskPerceptionInputs } from '../../sim/perception/layout.js';
import { robotFor } from '../../training/io/export-policy.js';
import { createZeroController } from '../../sim/controller.js';
import type { VecEnv } from '../../sim/env.js';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';
import { controllerBatchPolicy, evaluate, lqrBatchPolicy, type BatchPolicy } from '../../training/evaluate.js';
import { numberFlag, parseCommand, printJsonLine, UsageError, seedFlag, inputFileFlag } from '../args.js';
import { loadRunPolicy } from '../../training/io/run-policy.js';
import { isBallbotTask, makeVecEnv } from '../../training/tasks.js';
import { evaluateRunPolicy } from '../../training/train.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';

const usage = `usage: ballbot eval (--run runs/NAME | --policy FILE.onnx | --controller lqr|zero)
                   [--task T] [--episodes N] [--seed S] [--randomization FILE | --no-randomize]
                   [--robot FILE [--controller-robot FILE]] [--env MODULE] [--json]

  --run DIR          evaluate a training run (its latest checkpoint, plain JS forward pass)
  --policy FILE      evaluate an ONNX policy artifact with onnxruntime-node
  --controller NAME  a baseline controller (lqr, zero) on a ballbot task
  --task T           task (default: the run's / the policy's task; balance for controllers)
  --episodes N       held-out episodes (default 100), one per env, run in parallel
  --seed S           selects the held-out seed block (default 0)
  --randomization F  domain randomization ranges from a YAML file, or a shipped set by name
                     (stress, stress-b: configs/randomization/NAME.yaml) instead of the default
                     ranges; validated, errors name the file and the key
  --no-randomize     nominal robot, no pushes (default: full domain randomization and pushes)
  --robot FILE       the plant to evaluate on (the "real" robot, e.g. a perturbed one): its
                     parameters drive the simulation (randomization is applied around them)
                     while the policy and the artifact check keep the controller's robot
  --controller-robot FILE
                     the robot the policy or LQR was made for (default: a run's own robot; for
                     --policy the shipped robot config the artifact names, configs/robot/*.yaml;
                     else configs/robot/default.yaml); the artifact check compares with it
  --json             one JSON object on the last line: successRate, meanReturn, episodes,
                     meanActionChange, pushRecoveryRate, trackingErrorMps (command tasks)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        run: { type: 'string' }, policy: { type: 'string' }, controller: { type: 'string' }, task: { type: 'string' },
        episodes: { type: 'string' }, seed: { type: 'string' }, randomization: { type: 'string' }, 'no-randomize': { type: 'boolean' },
        env: { type: 'string' }, json: { type: 'boolean' }, robot: { type: 'string' }, 'controller-robot': { type: 'string' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const sources = [v.run, v.policy, v.controller].filter((x) => x !== undefined).length;
  if (sources !== 1) throw new UsageError(`give exactly one of --run, --policy, --controller\n${usage}`);
  if (v.controller !== undefined && v.controller !== 'lqr' && v.controller !== 'zero') throw new UsageError(`--controller must be lqr or zero, got '${v.controller}'`);
  if (v.controller !== undefined && v.env !== undefined) throw new UsageError('--env needs --run or --policy: a --controller runs on the ballbot tasks only');
  const episodes = numberFlag(v.episodes, 'episodes', 100, { integer: true, min: 1, max: 10000 });
  const seed = seedFlag(v.seed, 0);
  if (v.randomization !== undefined && v['no-randomize']) throw new UsageError('give at most one of --randomization and --no-randomize');
  // Validated here, before any env starts: a bad file fails with its name and the key.
  const randomize = v['no-randomize'] ? false : v.randomization !== undefined ? loadRandomizationConfig(v.randomization) : true;
  if (v['controller-robot'] !== undefined && v.run !== undefined) throw new UsageError('--controller-robot is for --policy and --controller: a run evaluates with the robot it trained on');
  // Validated before any env starts, like the randomization.
  const controllerRobot = v['controller-robot'] !== undefined ? loadRobotConfig(inputFileFlag(v['controller-robot'], 'controller-robot')) : loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const plant = v.robot !== undefined ? loadRobotConfig(inputFileFlag(v.robot, 'robot')) : undefined;
  const envOptions = (task: string) => (isBallbotTask(task) ? { randomize, ...(plant ? { robot: plant } : {}) } : {});
  const report = (source: string, task: string, result: object, t0: number) => {
    const summary = {
      source, task, seed, ...(v.robot ? { plant: v.robot } : {}), randomized: isBallbotTask(task) && randomize !== false, randomization: isBallbotTask(task) && randomize !== false ? (v.randomization ?? 'default') : null,
      ...result, wallSeconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    };
    if (v.json) printJsonLine(summary);
    else console.log(JSON.stringify(summary, null, 2));
  };

  const t0 = performance.now();
  if (v.run) {
    const rp = loadRunPolicy(v.run);
    const task = v.task ?? rp.config.task;
    const runRobot = robotFor(rp);
    if (plant && runRobot) assertSamePlantKind(plant, runRobot, `--robot ${v.robot}`, `the run's robot`);
    const result = await evaluateRunPolicy(rp, episodes, seed, envOptions(task), task, v.env);
    report(`run ${v.run} (${rp.algo}, ${rp.envSteps} env steps)`, task, result, t0);
    return 0;
  }
  let vec: VecEnv;
  let policy: BatchPolicy;
  let source: string;
  let task: string;
  if (v.policy) {
    const policyFile = inputFileFlag(v.policy, 'policy');
    const meta = readArtifactMetadata(readFileSync(policyFile), policyFile);
    task = v.task ?? meta.task;
    // The robot the policy was made for: --controller-robot, else the shipped robot the artifact
    // was trained on (e.g. the one carrying the height scan), else the default.
    const model = v['controller-robot'] !== undefined ? controllerRobot : shippedRobotNamed(meta.robotName);
    const modelWhat = v['controller-robot'] ?? `the shipped robot '${model.name}'`;
    if (plant) assertSamePlantKind(plant, model, `--robot ${v.robot}`, modelWhat);
    // Without --robot the plant is that robot itself, so its sensors are there to feed the policy.
    vec = await makeVecEnv({ task, envModule: v.env, options: isBallbotTask(task) ? { ...envOptions(task), robot: plant ?? model } : {} }, episodes, seed, 0);
    try {
      policy = await onnxBatchPolicy(policyFile, task, vec, model);
    } catch (err) {
      await vec.close();
      throw err;
    }
    source = `ONNX ${policyFile} (onnxruntime-node${meta.baseController ? `, residual x${meta.baseController.residualScale} on the LQR` : ''}${meta.recurrentState?.length ? `, state carried per env: ${meta.recurrentState.map((st) => st.input.replace(/_in$/, '')).join(' + ')}` : ''})`;
  } else {
    task = v.task ?? 'balance';
    if (!isBallbotTask(task)) throw new UsageError(`--controller works on ballbot tasks (balance, velocity, terrain), not '${task}'`);
    if (plant) assertSamePlantKind(plant, controllerRobot, `--robot ${v.robot}`, v['controller-robot'] ?? 'the default robot config');
    vec = await makeVecEnv({ task, options: envOptions(task) }, episodes, seed, 0);
    policy = await controllerPolicy(v.controller!, episodes, controllerRobot);
    source = `controller ${v.controller}`;
  }
  try {
    report(source, task, await evaluate(vec, policy, seed), t0);
  } finally {
    await vec.close();
  }
  return 0;
}

/**
 * The ONNX policy through the one loader and artifact check (the session deploy uses, batch 1).
 * A stateless artifact runs one session for every env; one that carries state (recurrent
 * hidden state, or the base controller of a residual) gets one instance per env, so each
 * env's episode carries its own state.
 */
async function onnxBatchPolicy(file: string, task: string, vec: VecEnv, robot: RobotConfig): Promise<BatchPolicy> {
  const names = (space: VecEnv['observationSpace'], prefix: string) => space.names ?? Array.from({ length: space.shape[0] }, (_, i) => `${prefix}_${i}`);
  // It feeds the perception inputs only when the task computes them.
  const caller: CallerCapabilities = isBallbotTask(task)
    ? ballbotCaller('ballbot eval', robot, robot.control.rateHz, { fixedFullScaleNm: robot.motor.maxTorque, inputs: { obs: OBSERVATION_LAYOUT, ...taskPerceptionInputs(robot, loadTask(task)) } })
    : { caller: 'ballbot eval', robot: null, inputs: { obs: names(vec.observationSpace, 'obs') }, actionLayout: names(vec.actionSpace, 'action'), recurrentState: true, baseControllers: [] };
  const first = await OnnxPolicy.load(file, caller);
  const stateful = first.metadata.recurrentState !== undefined || first.metadata.baseController !== undefined;
  const policies = [first];
  if (stateful) for (let i = 1; i < vec.numEnvs; i++) policies.push(await OnnxPolicy.load(file, caller));
  for (const p of policies) p.reset();
  const O = first.obsSize, A = first.actionSize;
  const out = new Float32Array(vec.numEnvs * A);
  const sizes = first.extraInputs.map((input) => ({ name: input.name, size: input.layout.length }));
  const row: Record<string, Float32Array> = {};
  return (obs, n, extras) => {
    for (let i = 0; i < n; i++) {
      for (const { name, size } of sizes) {
        const batch = extras?.[name];
        if (batch) row[name] = batch.subarray(i * size, (i + 1) * size); // a missing one: act() names it
      }
      policies[stateful ? i : 0].act(obs.subarray(i * O, (i + 1) * O), out.subarray(i * A, (i + 1) * A), row);
    }
    return out;
  };
}

async function controllerPolicy(name: string, n: number, robot: RobotConfig): Promise<BatchPolicy> {
  // One controller per env; each env runs exactly one evaluated episode.
  return name === 'zero' ? controllerBatchPolicy(Array.from({ length: n }, createZeroController)) : await lqrBatchPolicy(n, robot);
}

/**
 * A plant for a controller made for `model` must be the same kind of robot: the same name,
 * control rate and motor rating (the action scaling); only its physical parameters may differ.
 */
function assertSamePlantKind(plant: RobotConfig, model: RobotConfig, plantWhat: string, modelWhat: string): void {
  const diffs: string[] = [];
  if (plant.name !== model.name) diffs.push(`robot '${plant.name}' vs '${model.name}'`);
  if (plant.control.rateHz !== model.control.rateHz) diffs.push(`control.rateHz ${plant.control.rateHz} vs ${model.control.rateHz}`);
  if (plant.motor.maxTorque !== model.motor.maxTorque) diffs.push(`motor.maxTorque ${plant.motor.maxTorque} vs ${model.motor.maxTorque}`);
  if (diffs.length) throw new UsageError(`${plantWhat} is not a plant for a controller made for ${modelWhat}: ${diffs.join(', ')}`);
}
