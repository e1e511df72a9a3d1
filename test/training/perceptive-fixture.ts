// A perceptive PPO actor for tests: a real PpoAgent (encoders for the given extra inputs) with
// every parameter drawn at a scale where each layer matters, its exported spec and ONNX file
// for the shipped perception robot (configs/robot/ballbot-s1-perception.yaml).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig, type TrainConfig } from '../../training/config.js';
import { PpoAgent } from '../../training/algorithms/ppo.js';
import type { ExtraInputShape } from '../../training/networks/encoders.js';
import type { MlpPolicySpec } from '../../training/networks/mlp-policy-spec.js';
import { ppoActorSpec } from '../../training/io/run-policy.js';
import { exportMlpPolicyOnnx } from '../../training/io/onnx-export.js';
import type { EnvInfo } from '../../training/runners/run-context.js';
import { Rng } from '../../sim/rng.js';
import { robotIdentity, shippedRobotNamed } from '../../sim/config/robot.js';
import { perceptionArtifactInput } from '../../sim/perception/layout.js';
import { ARTIFACT_FORMAT, defaultLayouts, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { OBSERVATION_LAYOUT } from '../../sim/observation.js';

export const robot = shippedRobotNamed('ballbot-s1-perception');
if (robot.name !== 'ballbot-s1-perception') throw new Error('configs/robot/ballbot-s1-perception.yaml is missing');

export const config: TrainConfig = parseTrainConfig({
  algo: 'ppo', task: 'terrain-perceptive', totalSteps: 1,
  network: { actor: [32, 32], critic: [16], activation: 'elu', perception: { heightScan: { hidden: [16], features: 8 }, depth: { channels: [4, 8], features: 8 } } },
}, 'test config');

export function envInfoWith(extras: ExtraInputShape[]): EnvInfo {
  return { obsSize: 15, actSize: 3, privSize: 0, actLow: [-1, -1, -1], actHigh: [1, 1, 1], obsNames: null, actNames: null, dt: 0.01, extras };
}

export async function randomAgent(seed: number, extras: ExtraInputShape[]): Promise<{ agent: PpoAgent; rng: Rng }> {
  await initBackend({ quiet: true });
  const rng = new Rng(seed);
  const agent = new PpoAgent(15, 15, 3, config, rng, 16, extras);
  for (let i = 0; i < agent.values.length; i++) agent.values[i] = rng.normal() * 0.3;
  return { agent, rng };
}

export function perceptiveMetadata(inputs: string[]): PolicyMetadata {
  const id = robotIdentity(robot);
  return {
    format: ARTIFACT_FORMAT, ...defaultLayouts(),
    actionScaling: { kind: 'torque_fraction', maxTorqueNm: robot.motor.maxTorque }, controlRateHz: robot.control.rateHz,
    robotName: id.name, robotHash: id.hash, task: 'terrain-perceptive', normalization: 'folded', trainingConfig: {}, producer: 'ballbot test',
    inputs: [{ name: 'obs', layout: [...OBSERVATION_LAYOUT], shape: [1, 15] }, ...inputs.map((name) => perceptionArtifactInput(robot, name))],
  };
}

/** Write a perceptive artifact reading `extras` to dir/perceptive.onnx; returns the file and its spec. */
export async function writePerceptiveArtifact(dir: string, extras: ExtraInputShape[], seed = 3): Promise<{ file: string; spec: MlpPolicySpec }> {
  const { agent } = await randomAgent(seed, extras);
  const spec = ppoActorSpec(config, envInfoWith(extras), agent.values, {});
  const file = join(dir, 'perceptive.onnx');
  writeFileSync(file, exportMlpPolicyOnnx(spec, perceptiveMetadata(extras.map((e) => e.name))));
  return { file, spec };
}
