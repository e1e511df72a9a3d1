// Run an exported ONNX policy artifact with onnxruntime-node (the runtime deploy uses),
// batched over envs. Metadata is read from the file's metadata_props.
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { propsToMetadata, type PolicyMetadata } from '../sim/policy-artifact.js';
import { ACTION_OUTPUT, OBS_INPUT } from './onnx-export.js';

export function readOnnxMetadata(bytes: Uint8Array, source: string): PolicyMetadata {
  let model;
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

export interface OnnxPolicy {
  metadata: PolicyMetadata;
  obsSize: number;
  actSize: number;
  act(obs: Float32Array, n: number): Promise<Float32Array>;
}

export async function loadOnnxPolicy(file: string): Promise<OnnxPolicy> {
  const bytes = new Uint8Array(readFileSync(file));
  const metadata = readOnnxMetadata(bytes, file);
  const session = await ort.InferenceSession.create(bytes);
  const obsSize = metadata.observationLayout.length;
  const actSize = metadata.actionLayout.length;
  return {
    metadata,
    obsSize,
    actSize,
    async act(obs, n) {
      const input = new ort.Tensor('float32', obs.subarray(0, n * obsSize), [n, obsSize]);
      const out = await session.run({ [OBS_INPUT]: input });
      return out[ACTION_OUTPUT].data as Float32Array;
    },
  };
}
