// The one artifact check: does a policy artifact fit the caller that wants to run it? Used
// through the one loader (deploy/onnx-policy.ts) by `ballbot sim`, `ballbot eval`, deploy, the
// HIL suite and the viewer. It compares the graph's real inputs and outputs (from the runtime's
// session metadata) with the artifact's metadata and with what the caller declares it can feed
// and carry, the robot, the control rate and the action scaling. The message lists every
// difference, so a user fixes them all at once.
import { robotIdentity, type RobotConfig } from './config/robot.js';
import { ACTION_LAYOUT, OBSERVATION_LAYOUT } from './observation.js';
import { ARTIFACT_FORMAT, artifactInputs, OPTIONAL_METADATA_KEYS, type PolicyMetadata } from './policy-artifact.js';

export class PolicyMismatchError extends Error {
  override name = 'PolicyMismatchError';
  constructor(readonly file: string, readonly caller: string, readonly differences: string[]) {
    super(`policy ${file} does not fit ${caller}${caller === "deploy" ? ", refusing to arm" : ""}:\n  - ${differences.join("\n  - ")}`);
  }
}

/** One tensor of the graph as the runtime reports it; a symbolic dimension is a string. */
export interface GraphTensor {
  name: string;
  shape: readonly (number | string)[];
}

export interface GraphSignature {
  inputs: GraphTensor[];
  outputs: GraphTensor[];
}

/** What a caller can feed the graph and carry between ticks. */
export interface CallerCapabilities {
  /** Who runs it, for messages: 'deploy', 'ballbot sim', 'ballbot eval', 'ballbot view --live'. */
  caller: string;
  /** The robot it drives; null for a task without one (e.g. pendulum in eval). */
  robot: RobotConfig | null;
  /** Control rate the caller runs at, Hz (checked when a robot is given). */
  rateHz?: number;
  /** Named inputs the caller builds each tick, with their layouts. */
  inputs: Record<string, readonly string[]>;
  actionLayout: readonly string[];
  /** Can it carry hidden state tick to tick (and zero it on arm and after an e-stop)? */
  recurrentState: boolean;
  /** Base controllers it can compose a residual artifact with. */
  baseControllers: readonly string[];
  /** Set when the caller always applies this full-scale torque (the training env uses the robot's rating). */
  fixedFullScaleNm?: number;
}

/** Base controllers the one loader composes a residual artifact with (sim/residual-policy.ts). */
const COMPOSABLE_BASE_CONTROLLERS: readonly string[] = ['lqr'];

/** A caller that drives the ballbot with the project's observation and action layouts. */
export function ballbotCaller(caller: string, robot: RobotConfig, rateHz: number, extra: Partial<CallerCapabilities> = {}): CallerCapabilities {
  return {
    caller, robot, rateHz,
    inputs: { obs: OBSERVATION_LAYOUT }, actionLayout: ACTION_LAYOUT,
    recurrentState: true, baseControllers: COMPOSABLE_BASE_CONTROLLERS,
    ...extra,
  };
}

const listDiff = (what: string, got: readonly string[], want: readonly string[], caller: string, verb = 'builds'): string | null => {
  if (got.length === want.length && got.every((n, i) => n === want[i])) return null;
  if (got.length !== want.length) return `${what}: artifact has ${got.length} entries [${got.join(', ')}], ${caller} ${verb} ${want.length} [${want.join(', ')}]`;
  const i = got.findIndex((n, k) => n !== want[k]);
  return `${what}: entry ${i} is '${got[i]}' in the artifact but '${want[i]}' in ${caller}`;
};

/** Shapes agree where both are fixed; a symbolic graph dimension must be the batch (first) one. */
function shapeDiff(what: string, graph: readonly (number | string)[], want: readonly number[]): string | null {
  const fits = graph.length === want.length && graph.every((d, i) => (typeof d === 'number' && d >= 0 ? d === want[i] : i === 0));
  return fits ? null : `${what}: the graph's shape is [${graph.join(', ')}], the metadata says [${want.join(', ')}]`;
}

/** Every reason the caller cannot run the artifact (empty = it can). */
function artifactDifferences(meta: PolicyMetadata, graph: GraphSignature, want: CallerCapabilities): string[] {
  const out: string[] = [];
  const who = want.caller;
  if (meta.format !== ARTIFACT_FORMAT) out.push(`format: artifact is '${meta.format}', ${who} reads '${ARTIFACT_FORMAT}'`);

  // Inputs: each one the artifact asks for must be in the graph with that shape, and fed by the caller.
  const state = meta.recurrentState ?? [];
  const inputs = artifactInputs(meta);
  for (const input of inputs) {
    const fed = want.inputs[input.name];
    if (!fed) out.push(`input '${input.name}': ${who} cannot feed it (it feeds ${Object.keys(want.inputs).map((n) => `'${n}'`).join(', ')})`);
    else {
      const d = listDiff(`input '${input.name}' layout`, input.layout, fed, who);
      if (d) out.push(d);
    }
    const g = graph.inputs.find((t) => t.name === input.name);
    if (!g) out.push(`input '${input.name}': the graph has no such input (it has ${graph.inputs.map((t) => `'${t.name}'`).join(', ')})`);
    else {
      const d = shapeDiff(`input '${input.name}'`, g.shape, input.shape);
      if (d) out.push(d);
    }
  }
  for (const g of graph.inputs) {
    if (!inputs.some((i) => i.name === g.name) && !state.some((s) => s.input === g.name)) {
      out.push(`graph input '${g.name}' [${g.shape.join(', ')}] is not described by the metadata, nothing would feed it`);
    }
  }

  // Recurrent state: the caller must carry it; the graph must have both ends with the declared shape.
  if (state.length && !want.recurrentState) {
    out.push(`'${OPTIONAL_METADATA_KEYS.recurrentState}': the artifact carries hidden state, ${who} cannot carry it between steps`);
  }
  for (const s of state) {
    const gi = graph.inputs.find((t) => t.name === s.input);
    const go = graph.outputs.find((t) => t.name === s.output);
    if (!gi) out.push(`recurrent state input '${s.input}': the graph has no such input`);
    else { const d = shapeDiff(`recurrent state input '${s.input}'`, gi.shape, s.shape); if (d) out.push(d); }
    if (!go) out.push(`recurrent state output '${s.output}': the graph has no such output`);
    else { const d = shapeDiff(`recurrent state output '${s.output}'`, go.shape, s.shape); if (d) out.push(d); }
  }

  // The action: the one graph output that is not a state, of the action layout's size.
  const act = listDiff('action layout', meta.actionLayout ?? [], want.actionLayout, who, 'drives');
  if (act) out.push(act);
  const actions = graph.outputs.filter((t) => !state.some((s) => s.output === t.name));
  if (actions.length !== 1) out.push(`graph outputs: expected one action output besides the recurrent state, got [${actions.map((t) => t.name).join(', ')}]`);
  else {
    const d = shapeDiff(`action output '${actions[0].name}'`, actions[0].shape, [1, (meta.actionLayout ?? []).length]);
    if (d) out.push(d);
  }

  if (meta.normalization !== 'folded') {
    out.push(`normalization: the artifact keeps {mean, std, clip} outside the graph and nothing applies it (ballbot export folds it into the graph)`);
  }
  if (meta.baseController) {
    const b = meta.baseController;
    if (!want.baseControllers.includes(b.kind)) {
      out.push(`'${OPTIONAL_METADATA_KEYS.baseController}': the artifact is a residual on base controller '${b.kind}', ${who} cannot compose it (available: ${want.baseControllers.join(', ') || 'none'})`);
    }
    if (want.robot && b.robotHash !== robotIdentity(want.robot).hash) {
      out.push(`'${OPTIONAL_METADATA_KEYS.baseController}': base controller made for robot hash ${b.robotHash}, ${who} drives hash ${robotIdentity(want.robot).hash}`);
    }
  }

  const scaling = meta.actionScaling;
  if (!scaling || scaling.kind !== 'torque_fraction' || !(scaling.maxTorqueNm > 0) || !Number.isFinite(scaling.maxTorqueNm)) {
    out.push(`action scaling: expected {kind: 'torque_fraction', maxTorqueNm: finite > 0}, got ${JSON.stringify(scaling)}`);
  } else if (want.robot) {
    const rating = want.robot.motor.maxTorque;
    if (scaling.maxTorqueNm > rating) out.push(`action scaling: maxTorqueNm ${scaling.maxTorqueNm} N m is above robot '${want.robot.name}' motor rating ${rating} N m (motor.maxTorque)`);
    else if (want.fixedFullScaleNm !== undefined && scaling.maxTorqueNm !== want.fixedFullScaleNm) {
      out.push(`action scaling: maxTorqueNm ${scaling.maxTorqueNm} N m, ${who} applies ${want.fixedFullScaleNm} N m (the robot's motor.maxTorque)`);
    }
  }

  if (want.robot) {
    if (!(meta.controlRateHz === want.rateHz)) out.push(`control rate: artifact trained at ${meta.controlRateHz} Hz, ${who} runs at ${want.rateHz} Hz`);
    const id = robotIdentity(want.robot);
    if (meta.robotName !== id.name) out.push(`robot: artifact is for '${meta.robotName}', ${who} drives '${id.name}'`);
    else if (meta.robotHash !== id.hash) out.push(`robot parameters: artifact hash ${meta.robotHash}, ${who} robot '${id.name}' hash ${id.hash} (the robot config changed since training)`);
  } else if (meta.robotName !== 'none') {
    out.push(`robot: artifact is for robot '${meta.robotName}', ${who} runs a task without a robot`);
  }
  return out;
}

export function assertArtifactUsable(file: string, meta: PolicyMetadata, graph: GraphSignature, want: CallerCapabilities): void {
  const diffs = artifactDifferences(meta, graph, want);
  if (diffs.length) throw new PolicyMismatchError(file, want.caller, diffs);
}
