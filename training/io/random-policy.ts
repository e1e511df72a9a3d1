// Real ONNX policy artifacts with random (or constant) weights, exported like a trained
// policy, for the loop benchmark and the tests, with metadata that matches (or deliberately
// mismatches) a robot and control rate.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportMlpPolicyOnnx, trackingMemoryMetadata } from './onnx-export.js';
import { TRACKING_MEMORY_SIZE, type TrackingMemoryModel } from '../../sim/tracking-memory.js';
import type { MlpPolicySpec } from '../networks/mlp-policy-spec.js';
import { ARTIFACT_FORMAT, defaultLayouts, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { robotIdentity, type RobotConfig } from '../../sim/config/robot.js';
import { Rng } from '../../sim/rng.js';
import { atomicWriteFile } from '../../common/atomic-write.js';

export function randomMlpSpec(seed: number, obsSize: number, hidden = [64, 64], actSize = 3, weightScale = 0.3): MlpPolicySpec {
  const rng = new Rng(seed);
  const sizes = [obsSize, ...hidden, actSize];
  const layers = sizes.slice(1).map((out, k) => {
    const inp = sizes[k];
    const weights = new Float32Array(inp * out);
    for (let i = 0; i < weights.length; i++) weights[i] = rng.uniform(-weightScale, weightScale);
    const bias = new Float32Array(out);
    return { weights, bias, activation: "tanh" as const };
  });
  return { layers };
}

/** One linear layer with zero weights: the action is `action` whatever the observation. */
function constantSpec(obsSize: number, action: number[]): MlpPolicySpec {
  return { layers: [{ weights: new Float32Array(obsSize * action.length), bias: Float32Array.from(action), activation: 'linear' }] };
}

export interface PolicyFileOptions {
  robot: RobotConfig;
  rateHz: number;
  seed?: number;
  /** Override metadata fields (mismatch tests). */
  meta?: Partial<PolicyMetadata>;
  obsSize?: number;
  actSize?: number;
  weightScale?: number;
  /** A constant-output policy instead of a random MLP. */
  constant?: number[];
  dir?: string;
  /** A tracking-memory policy (sim/tracking-memory.ts): the MLP reads [obs, memory / clip], the graph carries the memory. */
  memory?: TrackingMemoryModel;
}

export function writeRandomPolicy(options: PolicyFileOptions): string {
  const layouts = defaultLayouts();
  const obsSize = options.obsSize ?? layouts.observationLayout.length;
  const actSize = options.actSize ?? layouts.actionLayout.length;
  const id = robotIdentity(options.robot);
  const metadata: PolicyMetadata = {
    format: ARTIFACT_FORMAT,
    observationLayout: layouts.observationLayout.slice(0, obsSize),
    actionLayout: layouts.actionLayout.slice(0, actSize),
    actionScaling: { kind: 'torque_fraction', maxTorqueNm: options.robot.motor.maxTorque },
    controlRateHz: options.rateHz,
    robotName: id.name,
    robotHash: id.hash,
    task: 'balance',
    normalization: 'folded',
    trainingConfig: { note: 'random weights for tests' },
    producer: 'ballbot test',
    ...(options.memory ? trackingMemoryMetadata(options.memory) : {}),
    ...options.meta,
  };
  const inputSize = obsSize + (options.memory ? TRACKING_MEMORY_SIZE : 0);
  const spec = options.constant ? constantSpec(inputSize, options.constant) : randomMlpSpec(options.seed ?? 1, inputSize, [64, 64], actSize, options.weightScale ?? 0.3);
  const bytes = exportMlpPolicyOnnx(spec, metadata, options.memory);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ballbot-policy-'));
  const file = join(dir, `${options.constant ? 'constant' : 'random'}-${options.seed ?? 1}-${Math.random().toString(36).slice(2, 8)}.onnx`);
  atomicWriteFile(file, bytes);
  return file;
}
