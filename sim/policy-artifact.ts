// The policy artifact contract: one .onnx file whose metadata_props carry everything
// deploy must check before arming. Training writes it (training/onnx-export.ts), deploy
// reads and checks it (deploy/). Both use these keys, so neither can drift.
import onnxProto from 'onnx-proto';
import { ACTION_LAYOUT, OBSERVATION_LAYOUT } from './observation.js';
import { BASE_CONTROLLER_KEY, parseBaseControllerSpec, type BaseControllerSpec } from './residual-policy.js';

export const ARTIFACT_FORMAT = 'ballbot-policy/1';

/** Keys in ONNX metadata_props; values are strings (JSON where structured). */
export const METADATA_KEYS = {
  format: 'ballbot.format', // ARTIFACT_FORMAT
  observationLayout: 'ballbot.observation_layout', // JSON string[]
  actionLayout: 'ballbot.action_layout', // JSON string[]
  actionScaling: 'ballbot.action_scaling', // JSON {kind: 'torque_fraction', maxTorqueNm}
  controlRateHz: 'ballbot.control_rate_hz', // number as string
  robotName: 'ballbot.robot_name',
  robotHash: 'ballbot.robot_hash', // robotIdentity().hash
  task: 'ballbot.task',
  normalization: 'ballbot.normalization', // 'folded' (inside the graph) or JSON {mean, std, clip}
  trainingConfig: 'ballbot.training_config', // JSON of the resolved training config
  producer: 'ballbot.producer', // 'ballbot <version>'
} as const;

export interface PolicyMetadata {
  format: string;
  observationLayout: string[];
  actionLayout: string[];
  actionScaling: { kind: 'torque_fraction'; maxTorqueNm: number };
  controlRateHz: number;
  robotName: string;
  robotHash: string;
  task: string;
  normalization: 'folded' | { mean: number[]; std: number[]; clip: number };
  trainingConfig: unknown;
  producer: string;
  /** Optional (key BASE_CONTROLLER_KEY): the graph is a residual on this base controller. */
  baseController?: BaseControllerSpec;
}

export function defaultLayouts(): Pick<PolicyMetadata, 'observationLayout' | 'actionLayout'> {
  return { observationLayout: [...OBSERVATION_LAYOUT], actionLayout: [...ACTION_LAYOUT] };
}

export function metadataToProps(meta: PolicyMetadata): Record<string, string> {
  const asString = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const props: Record<string, string> = {};
  for (const [field, key] of Object.entries(METADATA_KEYS)) props[key] = asString(meta[field as keyof PolicyMetadata]);
  if (meta.baseController) props[BASE_CONTROLLER_KEY] = JSON.stringify(meta.baseController);
  return props;
}

/** Parse metadata_props back; throws naming the missing or malformed key. */
export function propsToMetadata(props: Record<string, string>): PolicyMetadata {
  const get = (key: string) => {
    const v = props[key];
    if (v === undefined) throw new Error(`policy artifact has no metadata '${key}' (not exported by ballbot export?)`);
    return v;
  };
  const json = (key: string) => {
    try {
      return JSON.parse(get(key));
    } catch {
      throw new Error(`policy artifact metadata '${key}' is not valid JSON`);
    }
  };
  const normalization = get(METADATA_KEYS.normalization);
  const base = props[BASE_CONTROLLER_KEY];
  return {
    ...(base === undefined ? {} : { baseController: parseBaseControllerSpec(base, 'policy artifact') }),
    format: get(METADATA_KEYS.format),
    observationLayout: json(METADATA_KEYS.observationLayout),
    actionLayout: json(METADATA_KEYS.actionLayout),
    actionScaling: json(METADATA_KEYS.actionScaling),
    controlRateHz: Number(get(METADATA_KEYS.controlRateHz)),
    robotName: get(METADATA_KEYS.robotName),
    robotHash: get(METADATA_KEYS.robotHash),
    task: get(METADATA_KEYS.task),
    normalization: normalization === 'folded' ? 'folded' : json(METADATA_KEYS.normalization),
    trainingConfig: json(METADATA_KEYS.trainingConfig),
    producer: get(METADATA_KEYS.producer),
  };
}

/** Parse the metadata_props of an ONNX policy file; errors name `source` (the file). */
export function readArtifactMetadata(bytes: Uint8Array, source: string): PolicyMetadata {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${source} is not an ONNX model: ${(err as Error).message}`);
  }
  const props: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) props[p.key] = p.value ?? '';
  try {
    return propsToMetadata(props);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}
