// An ONNX policy artifact run with onnxruntime-node. Metadata is read from the file's
// metadata_props (onnx-proto) and checked by artifact-check.ts before anything is armed.
//
// Inference is synchronous: the public InferenceSession.run() defers every call through
// setImmediate (an extra event-loop turn inside the tick), so we drive onnxruntime-node's
// native session directly with preallocated input and output tensors. The public API is
// still used to validate the graph's inputs and outputs at load time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { readArtifactMetadata, type PolicyMetadata } from '../sim/policy-artifact.js';
import type { Policy } from './policy.js';
import { composeAction, residualBaseFor, type ResidualBase } from '../sim/residual-policy.js';

const require = createRequire(import.meta.url);

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, options: object): Record<string, ort.Tensor>;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

export interface LoadedArtifact {
  file: string;
  metadata: PolicyMetadata;
  inputName: string;
  outputName: string;
  inputSize: number;
  outputSize: number;
}

function lastDim(meta: ort.InferenceSession.ValueMetadata | undefined): number {
  if (!meta || !meta.isTensor) return -1;
  const d = meta.shape[meta.shape.length - 1];
  return typeof d === 'number' ? d : -1;
}

export class OnnxPolicy implements Policy {
  readonly name: string;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly maxTorqueNm: number;
  private readonly input: ort.Tensor;
  private readonly output: ort.Tensor;
  private readonly inputData: Float32Array;
  private readonly outputData: Float32Array;
  private readonly feeds: Record<string, ort.Tensor>;
  private readonly fetches: Record<string, ort.Tensor | null>;
  private readonly runOptions = {};
  /** Set for a residual artifact: the action is base + scale * network output (sim/residual-policy.ts). */
  private readonly base: ResidualBase | null;
  private readonly baseAction = new Float32Array(3);

  private constructor(readonly artifact: LoadedArtifact, private readonly session: NativeSession) {
    this.name = `onnx:${artifact.file}`;
    this.obsSize = artifact.inputSize;
    this.actionSize = artifact.outputSize;
    this.maxTorqueNm = artifact.metadata.actionScaling?.maxTorqueNm ?? NaN;
    this.inputData = new Float32Array(this.obsSize);
    this.outputData = new Float32Array(this.actionSize);
    this.input = new ort.Tensor('float32', this.inputData, [1, this.obsSize]);
    this.output = new ort.Tensor('float32', this.outputData, [1, this.actionSize]);
    this.feeds = { [artifact.inputName]: this.input };
    this.fetches = { [artifact.outputName]: this.output };
    this.base = residualBaseFor(artifact.metadata, artifact.file);
  }

  /** Load and validate the graph (one float input, one float output); metadata is NOT checked here. */
  static async load(file: string): Promise<OnnxPolicy> {
    const bytes = readFileSync(file);
    const metadata = readArtifactMetadata(bytes, file);
    const probe = await ort.InferenceSession.create(bytes);
    try {
      if (probe.inputNames.length !== 1 || probe.outputNames.length !== 1) {
        throw new Error(`${file}: a policy has one input and one output, this graph has inputs [${probe.inputNames}] and outputs [${probe.outputNames}]`);
      }
      const artifact: LoadedArtifact = {
        file, metadata,
        inputName: probe.inputNames[0], outputName: probe.outputNames[0],
        inputSize: lastDim(probe.inputMetadata[0]), outputSize: lastDim(probe.outputMetadata[0]),
      };
      if (!(artifact.inputSize > 0) || !(artifact.outputSize > 0)) {
        throw new Error(`${file}: input '${artifact.inputName}' and output '${artifact.outputName}' need a fixed last dimension`);
      }
      const native = require('onnxruntime-node/dist/binding.js') as NativeBinding;
      native.initOrt();
      const session = new native.binding.InferenceSession();
      const options = { executionProviders: [{ name: 'cpu' }], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
      session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
      return new OnnxPolicy(artifact, session);
    } finally {
      await probe.release();
    }
  }

  reset(): void {
    this.base?.controller.reset();
  }

  act(obs: Float32Array, out: Float32Array): void {
    this.inputData.set(obs.length === this.obsSize ? obs : obs.subarray(0, this.obsSize));
    this.session.run(this.feeds, this.fetches, this.runOptions);
    if (this.base) {
      this.base.controller.act(obs, this.baseAction);
      composeAction(this.baseAction, this.outputData, this.base.scale, out);
      return;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.outputData[i];
  }

  close(): void {
    this.session.dispose();
  }
}
