// The policy artifact contract: one .onnx file whose metadata_props carry everything a
// caller must check before running it. Training writes it (training/io/onnx-export.ts);
// every caller reads it here and checks it with sim/artifact-check.ts, so none can drift.
// The metadata grows, it does not fork: named inputs, recurrent state and a base controller
// are optional keys; an artifact without them is a single 'obs' input and an 'action' output.
import onnxProto from 'onnx-proto';
import { ACTION_LAYOUT, OBSERVATION_LAYOUT } from './observation.js';
import { parseBaseControllerSpec, type BaseControllerSpec } from './residual-policy.js';

export const ARTIFACT_FORMAT = 'ballbot-policy/1';

/** Keys in ONNX metadata_props; values are strings (JSON where structured). */
const METADATA_KEYS = {
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

/** Optional keys: absent in older artifacts (policies/balance-default.onnx has none). */
export const OPTIONAL_METADATA_KEYS = {
  inputs: 'ballbot.inputs', // JSON ArtifactInput[]
  recurrentState: 'ballbot.recurrent_state', // JSON RecurrentState[]
  baseController: 'ballbot.base_controller', // JSON BaseController
  trackingMemory: 'ballbot.tracking_memory', // JSON TrackingMemoryMetadata
} as const;

/** One named graph input: what it carries, in which order, shape, units and rate. */
export interface ArtifactInput {
  name: string; // graph input name, e.g. 'obs', 'depth', 'height_scan'
  layout: string[]; // one name per value, in graph order
  shape: number[]; // full tensor shape, batch first, e.g. [1, 15]
  units?: string;
  rateHz?: number; // how often it is refreshed (default: the control rate)
}

/** A hidden state the caller carries tick to tick: zeros at start, on arm and after every e-stop. */
export interface RecurrentState {
  input: string;
  output: string;
  shape: number[];
}

/** The graph is a residual on a controller of the project: action = clip(base(obs) + residualScale * graph(obs)) (sim/residual-policy.ts). */
export type BaseController = BaseControllerSpec;

/**
 * What a tracking-memory state holds (sim/tracking-memory.ts), for a reader of the artifact:
 * the graph updates it itself, the caller only carries it (zeros at start, on arm, after an e-stop).
 */
export interface TrackingMemoryMetadata {
  /** The recurrent state input it travels in. */
  state: string;
  layout: string[];
  units: string[];
  /** Time constant of the leak, s. */
  leakSeconds: number;
  /** Per-component clip, in `units`. */
  clip: number[];
  /** The update in words, e.g. 'm = clip(exp(-dt/leakSeconds) m + dt (estimate - command))'. */
  update: string;
}

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
  inputs?: ArtifactInput[];
  recurrentState?: RecurrentState[];
  baseController?: BaseController;
  trackingMemory?: TrackingMemoryMetadata;
}

/** The graph inputs an artifact asks for; without 'ballbot.inputs', one 'obs' input of the observation layout. */
export function artifactInputs(meta: PolicyMetadata): ArtifactInput[] {
  return meta.inputs ?? [{ name: 'obs', layout: meta.observationLayout, shape: [1, meta.observationLayout.length] }];
}

export function defaultLayouts(): Pick<PolicyMetadata, 'observationLayout' | 'actionLayout'> {
  return { observationLayout: [...OBSERVATION_LAYOUT], actionLayout: [...ACTION_LAYOUT] };
}

export function metadataToProps(meta: PolicyMetadata): Record<string, string> {
  const asString = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const props: Record<string, string> = {};
  for (const [field, key] of Object.entries(METADATA_KEYS)) props[key] = asString(meta[field as keyof PolicyMetadata]);
  for (const [field, key] of Object.entries(OPTIONAL_METADATA_KEYS)) {
    const v = meta[field as keyof PolicyMetadata];
    if (v !== undefined) props[key] = asString(v);
  }
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
  const optional = (key: string) => (props[key] === undefined ? undefined : json(key));
  const normalization = get(METADATA_KEYS.normalization);
  const meta: PolicyMetadata = {
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
  const inputs = optional(OPTIONAL_METADATA_KEYS.inputs);
  if (inputs !== undefined) meta.inputs = parseInputs(inputs);
  const state = optional(OPTIONAL_METADATA_KEYS.recurrentState);
  if (state !== undefined) meta.recurrentState = parseRecurrentState(state);
  const base = optional(OPTIONAL_METADATA_KEYS.baseController);
  if (base !== undefined) meta.baseController = parseBaseController(base);
  const memory = optional(OPTIONAL_METADATA_KEYS.trackingMemory);
  if (memory !== undefined) meta.trackingMemory = parseTrackingMemory(memory, meta.recurrentState ?? []);
  return meta;
}

const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(key: string, want: string, got: unknown): Error {
  return new Error(`policy artifact metadata '${key}' must be ${want}, got ${JSON.stringify(got)}`);
}

function parseInputs(v: unknown): ArtifactInput[] {
  const key = OPTIONAL_METADATA_KEYS.inputs;
  const want = 'a non-empty list of {name, layout: string[], shape: positive integers, units?, rateHz?}';
  if (!Array.isArray(v) || v.length === 0) throw malformed(key, want, v);
  return v.map((e) => {
    if (!isObject(e) || typeof e.name !== 'string' || !isStrings(e.layout) || !isShape(e.shape)) throw malformed(key, want, e);
    if (e.units !== undefined && typeof e.units !== 'string') throw malformed(key, want, e);
    if (e.rateHz !== undefined && !(typeof e.rateHz === 'number' && e.rateHz > 0)) throw malformed(key, want, e);
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (size !== e.layout.length) throw new Error(`policy artifact metadata '${key}': input '${e.name}' has shape [${e.shape}] (${size} values) but ${e.layout.length} layout names`);
    return { name: e.name, layout: e.layout, shape: e.shape, ...(e.units !== undefined ? { units: e.units as string } : {}), ...(e.rateHz !== undefined ? { rateHz: e.rateHz as number } : {}) };
  });
}

function parseRecurrentState(v: unknown): RecurrentState[] {
  const key = OPTIONAL_METADATA_KEYS.recurrentState;
  const want = 'a non-empty list of {input, output, shape: positive integers}';
  if (!Array.isArray(v) || v.length === 0) throw malformed(key, want, v);
  return v.map((e) => {
    if (!isObject(e) || typeof e.input !== 'string' || typeof e.output !== 'string' || !isShape(e.shape)) throw malformed(key, want, e);
    return { input: e.input, output: e.output, shape: e.shape };
  });
}

function parseTrackingMemory(v: unknown, state: readonly RecurrentState[]): TrackingMemoryMetadata {
  const key = OPTIONAL_METADATA_KEYS.trackingMemory;
  const want = '{state, layout: string[], units: string[], leakSeconds > 0, clip: positive numbers, update}';
  if (!isObject(v) || typeof v.state !== 'string' || !isStrings(v.layout) || !isStrings(v.units) || typeof v.update !== 'string') throw malformed(key, want, v);
  if (!(typeof v.leakSeconds === 'number' && v.leakSeconds > 0) || !Array.isArray(v.clip) || !v.clip.every((c) => typeof c === 'number' && c > 0)) throw malformed(key, want, v);
  if (v.units.length !== v.layout.length || v.clip.length !== v.layout.length) throw new Error(`policy artifact metadata '${key}': layout, units and clip must have one entry per value (${v.layout.length}, ${v.units.length}, ${v.clip.length})`);
  const carried = state.find((s) => s.input === v.state);
  if (!carried) throw new Error(`policy artifact metadata '${key}': state '${v.state}' is not a '${OPTIONAL_METADATA_KEYS.recurrentState}' input`);
  const size = carried.shape.reduce((a, b) => a * b, 1);
  if (size !== v.layout.length) throw new Error(`policy artifact metadata '${key}': state '${v.state}' holds ${size} values, the layout names ${v.layout.length}`);
  return { state: v.state, layout: v.layout, units: v.units, leakSeconds: v.leakSeconds, clip: v.clip as number[], update: v.update };
}

function parseBaseController(v: unknown): BaseController {
  return parseBaseControllerSpec(JSON.stringify(v), 'policy artifact');
}

/** Parse the metadata_props of an ONNX policy file; errors name `source` (the file). */
export function readArtifactMetadata(bytes: Uint8Array, source: string): PolicyMetadata {
  if (bytes.byteLength === 0) throw new Error(`${source} is empty (0 bytes): not an ONNX model`);
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${source} is not an ONNX model: ${(err as Error).message}`);
  }
  // Protobuf decodes many byte strings without error; a model has at least a graph.
  if (!model.graph) throw new Error(`${source} is not an ONNX model (${bytes.byteLength} bytes, no graph in it)`);
  const props: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) props[p.key] = p.value ?? '';
  try {
    return propsToMetadata(props);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}
