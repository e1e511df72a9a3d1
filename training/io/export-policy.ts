// A run -> one ONNX policy artifact: the deterministic actor with the observation
// normalization folded in, plus the metadata deploy checks (layouts, robot identity,
// control rate, action scaling, task, training config, producer).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACT_FORMAT, type ArtifactInput, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { perceptionArtifactInput } from '../../sim/perception/layout.js';
import { loadRobotConfig, robotIdentity, type RobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG, PACKAGE_ROOT } from '../../sim/config/paths.js';
import { atomicWriteFile } from '../../common/atomic-write.js';
import { carriedStateMetadata, exportMlpPolicyOnnx } from './onnx-export.js';
import { observationHistoryModel, parseObservationHistoryOptions, type ObservationHistoryModel } from '../../sim/observation-history.js';
import { parseTrackingMemoryOptions, TRACKING_MEMORY_SIZE, trackingMemoryModel, type TrackingMemoryModel } from '../../sim/tracking-memory.js';
import { isBallbotTask } from '../tasks.js';
import type { RunPolicy } from './run-policy.js';
import { parseResidualOptions } from '../../sim/residual-vec-env.js';

export function producerString(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  return `ballbot ${pkg.version}`;
}

/** The robot a run trained on (its config's env.robot, else the default robot); null for a task without one. */
export function robotFor(policy: RunPolicy): RobotConfig | null {
  if (!isBallbotTask(policy.config.task)) return null;
  const r = policy.config.env.robot;
  if (r && typeof r === 'object') return r as RobotConfig;
  return loadRobotConfig(typeof r === 'string' ? r : DEFAULT_ROBOT_CONFIG);
}

/** The tracking memory a run's policy was trained with (env.memory), for its robot; null without one. */
export function runTrackingMemory(policy: RunPolicy): TrackingMemoryModel | null {
  const robot = robotFor(policy);
  if (policy.config.env.memory === undefined || !robot) return null;
  return trackingMemoryModel(robot, parseTrackingMemoryOptions(policy.config.env.memory, 'training config'));
}

/** The observation history a run's policy was trained with (env.history); null without one. */
export function runObservationHistory(policy: RunPolicy): ObservationHistoryModel | null {
  if (policy.config.env.history === undefined || !isBallbotTask(policy.config.task)) return null;
  return observationHistoryModel(parseObservationHistoryOptions(policy.config.env.history, 'training config'));
}

/** The observation the artifact's 'obs' input takes: the env's, without the memory and history the graph appends itself. */
function observationLayoutOf(policy: RunPolicy): string[] {
  const info = policy.envInfo;
  const names = info.obsNames ?? Array.from({ length: info.obsSize }, (_, i) => `obs_${i}`);
  const appended = (policy.config.env.memory !== undefined ? TRACKING_MEMORY_SIZE : 0) + (runObservationHistory(policy)?.size ?? 0);
  return names.slice(0, names.length - appended);
}

export function policyMetadata(policy: RunPolicy): PolicyMetadata {
  const info = policy.envInfo;
  const robot = robotFor(policy);
  const id = robot ? robotIdentity(robot) : { name: 'none', hash: 'none' };
  const carried = carriedStateMetadata(runTrackingMemory(policy), runObservationHistory(policy));
  return {
    format: ARTIFACT_FORMAT,
    observationLayout: observationLayoutOf(policy),
    actionLayout: info.actNames ?? Array.from({ length: info.actSize }, (_, i) => `action_${i}`),
    actionScaling: { kind: 'torque_fraction', maxTorqueNm: robot ? robot.motor.maxTorque : 1 },
    controlRateHz: robot ? robot.control.rateHz : Math.round(1 / info.dt),
    robotName: id.name,
    robotHash: id.hash,
    task: policy.config.task,
    normalization: 'folded',
    trainingConfig: { ...policy.config, iteration: policy.iteration, envSteps: policy.envSteps },
    producer: producerString(),
    ...(policy.spec.encoders?.length ? { inputs: artifactInputsOf(policy, robot) } : {}),
    ...(robot && policy.config.env.residual !== undefined
      ? { baseController: { kind: 'lqr' as const, residualScale: parseResidualOptions(policy.config.env.residual, 'training config').scale, robotHash: id.hash } }
      : {}),
    ...carried,
  };
}

/** 'obs' and one input per encoder, described by the one perception layout function. */
function artifactInputsOf(policy: RunPolicy, robot: RobotConfig | null): ArtifactInput[] {
  const layout = observationLayoutOf(policy);
  const obs: ArtifactInput = { name: 'obs', layout, shape: [1, layout.length] };
  if (!robot) throw new Error(`run of task ${policy.config.task}: a policy with extra inputs needs a ballbot robot config to describe them`);
  return [obs, ...(policy.spec.encoders ?? []).map((e) => perceptionArtifactInput(robot, e.input))];
}

export function exportRunPolicy(policy: RunPolicy, outFile: string): { bytes: number; metadata: PolicyMetadata } {
  const metadata = policyMetadata(policy);
  const bytes = exportMlpPolicyOnnx(policy.spec, metadata, runTrackingMemory(policy) ?? undefined, runObservationHistory(policy) ?? undefined);
  atomicWriteFile(outFile, bytes);
  return { bytes: bytes.length, metadata };
}
