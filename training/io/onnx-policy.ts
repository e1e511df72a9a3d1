// Run an exported ONNX policy artifact with onnxruntime-node (the runtime deploy uses),
// batched over envs. Metadata is read from the file's metadata_props.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { readArtifactMetadata, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { ACTION_OUTPUT, OBS_INPUT } from './onnx-export.js';
import { composeResidualBatch } from '../../sim/residual-policy.js';

export interface OnnxPolicy {
  metadata: PolicyMetadata;
  obsSize: number;
  actSize: number;
  act(obs: Float32Array, n: number): Promise<Float32Array>;
}

export async function loadOnnxPolicy(file: string): Promise<OnnxPolicy> {
  const bytes = new Uint8Array(readFileSync(file));
  const metadata = readArtifactMetadata(bytes, file);
  const session = await ort.InferenceSession.create(bytes);
  const obsSize = metadata.observationLayout.length;
  const actSize = metadata.actionLayout.length;
  // A residual artifact adds its base controller's action (one controller per env, fresh at load).
  const compose = composeResidualBatch(metadata, file);
  return {
    metadata,
    obsSize,
    actSize,
    async act(obs, n) {
      const input = new ort.Tensor('float32', obs.subarray(0, n * obsSize), [n, obsSize]);
      const out = await session.run({ [OBS_INPUT]: input });
      return compose(obs, out[ACTION_OUTPUT].data as Float32Array, n);
    },
  };
}
