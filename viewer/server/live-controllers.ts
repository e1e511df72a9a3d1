// Controllers for a live rollout: the LQR baseline (sim/lqr.ts) or an ONNX policy run with
// onnxruntime-node. Both map an observation (sim/observation.ts layout) to an action in
// [-1, 1] per wheel, the same path a policy takes in deploy.
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { RobotConfig } from '../../sim/config/robot.js';
import { OBS_SIZE, ACTION_SIZE } from '../../sim/observation.js';
import { METADATA_KEYS, propsToMetadata, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { composeAction, residualBaseFor } from '../../sim/residual-policy.js';

export interface LiveController {
  name: string;
  /** Write the action (nominally in [-1, 1]) for `obs` into `action`. */
  act(obs: Float32Array, action: Float32Array): void | Promise<void>;
  /** Forget internal state at the start of an episode. */
  reset?(): void;
  close?(): void | Promise<void>;
}

interface LqrModule {
  createLqrController(robot: RobotConfig): { act(obs: Float32Array, out: Float32Array): void; reset?(): void };
}

// The LQR module is another part of the project; import it by a computed name so the viewer
// builds and its playback works before it exists.
export async function lqrController(robot: RobotConfig): Promise<LiveController> {
  const spec = '../../sim/lqr.js';
  let mod: LqrModule;
  try {
    mod = (await import(spec)) as LqrModule;
  } catch (err) {
    throw new Error(`ballbot view --live --controller lqr: cannot load sim/lqr.js (${(err as Error).message})`);
  }
  const lqr = mod.createLqrController(robot);
  return { name: 'lqr', act: (obs, action) => lqr.act(obs, action), reset: () => lqr.reset?.() };
}

/** Read the ballbot metadata from the ONNX file's metadata_props. */
export function readPolicyMetadata(file: string): PolicyMetadata {
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(file));
  const props: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) props[p.key] = p.value ?? '';
  if (!(METADATA_KEYS.format in props)) throw new Error(`${file}: not a ballbot policy artifact (no '${METADATA_KEYS.format}' metadata)`);
  return propsToMetadata(props);
}

export async function onnxPolicyController(file: string, robot: RobotConfig): Promise<LiveController> {
  const meta = readPolicyMetadata(file);
  if (meta.observationLayout.length !== OBS_SIZE) throw new Error(`${file}: policy expects ${meta.observationLayout.length} observations, the sim gives ${OBS_SIZE}`);
  if (meta.actionLayout.length !== ACTION_SIZE) throw new Error(`${file}: policy gives ${meta.actionLayout.length} actions, the robot has ${ACTION_SIZE} wheels`);
  if (Math.abs(meta.controlRateHz - robot.control.rateHz) > 1e-6) throw new Error(`${file}: policy runs at ${meta.controlRateHz} Hz, the robot config at ${robot.control.rateHz} Hz`);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(file);
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  const norm = meta.normalization === 'folded' ? null : meta.normalization;
  const x = new Float32Array(OBS_SIZE);
  const base = residualBaseFor(meta, file, robot); // a residual artifact acts on top of its LQR
  const baseAction = new Float32Array(ACTION_SIZE);
  return {
    name: `policy ${file}`,
    async act(obs, action) {
      for (let i = 0; i < OBS_SIZE; i++) {
        x[i] = norm ? Math.max(-norm.clip, Math.min(norm.clip, (obs[i] - norm.mean[i]) / norm.std[i])) : obs[i];
      }
      const result = await session.run({ [input]: new ort.Tensor('float32', x, [1, OBS_SIZE]) });
      const data = result[output].data as Float32Array;
      if (base) {
        base.controller.act(obs, baseAction);
        composeAction(baseAction, data, base.scale, action);
      } else for (let i = 0; i < ACTION_SIZE; i++) action[i] = data[i];
    },
    reset: () => base?.controller.reset(),
    close: () => session.release(),
  };
}
