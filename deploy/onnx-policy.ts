// The one ONNX policy loader, used by deploy, the HIL suite, `ballbot sim`, `ballbot eval`,
// the viewer and the loop benchmark. It reads the artifact's metadata once
// (sim/policy-artifact.ts), asks onnxruntime for the graph's real inputs and outputs, and runs
// the one artifact check (sim/artifact-check.ts) against what the caller declares it can feed
// and carry, before anything runs.
//
// Inference is synchronous: the public InferenceSession.run() defers every call through
// setImmediate (an extra event-loop turn inside the tick), so we drive onnxruntime-node's
// native session directly with preallocated input and output tensors. The public API is
// still used to read the graph's inputs and outputs at load time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as OrtModule from 'onnxruntime-node';
import { loadOptionalDependency } from '../common/optional-dependency.js';
import { assertArtifactUsable, type CallerCapabilities, type GraphSignature, type GraphTensor } from '../sim/artifact-check.js';
import { artifactInputs, readArtifactMetadata, type ArtifactInput, type PolicyMetadata, type RecurrentState } from '../sim/policy-artifact.js';
import type { Policy } from './policy.js';
import { composeAction, residualBaseFor, type ResidualBase } from '../sim/residual-policy.js';

const require = createRequire(import.meta.url);

type Ort = typeof OrtModule;
type Tensor = OrtModule.Tensor;

interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, Tensor>, fetches: Record<string, Tensor | null>, options: object): Record<string, Tensor>;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

/** The proprioceptive observation input; any other named input (depth, height scan) comes through act()'s extras. */
const OBS_INPUT = 'obs';

function loadOrt(): Promise<Ort> {
  return loadOptionalDependency('onnxruntime-node', 'running an ONNX policy', () => import('onnxruntime-node'));
}

function graphTensors(names: readonly string[], meta: readonly OrtModule.InferenceSession.ValueMetadata[]): GraphTensor[] {
  return names.map((name, i) => {
    const m = meta[i];
    return { name, shape: m && m.isTensor ? m.shape.map((d) => (typeof d === 'number' ? d : String(d))) : ['not a tensor'] };
  });
}

/** One hidden state carried from the output of one tick to the input of the next. */
interface CarriedState {
  spec: RecurrentState;
  input: Float32Array;
  output: Float32Array;
}

export class OnnxPolicy implements Policy {
  readonly name: string;
  readonly obsSize: number;
  readonly actionSize: number;
  readonly maxTorqueNm: number;
  readonly extraInputs: readonly ArtifactInput[];
  private readonly inputData: Float32Array;
  /** One preallocated buffer per extra input, bound to its graph tensor. */
  private readonly extraData: { name: string; data: Float32Array }[];
  private readonly outputData: Float32Array;
  private readonly states: CarriedState[];
  private readonly feeds: Record<string, Tensor> = {};
  private readonly fetches: Record<string, Tensor | null> = {};
  private readonly runOptions = {};
  /** warm() writes here, never into the output the tick reads. */
  private readonly warmFetches: Record<string, Tensor | null>;
  /** Residual artifacts only: the base controller's action, to which scale * network output is added (sim/residual-policy.ts). */
  private readonly baseAction = new Float32Array(3);

  private constructor(
    ort: Ort,
    readonly file: string,
    readonly metadata: PolicyMetadata,
    readonly graph: GraphSignature,
    private readonly session: NativeSession,
    private readonly base: ResidualBase | null,
  ) {
    this.name = `onnx:${file}`;
    const obs = artifactInputs(metadata).find((i) => i.name === OBS_INPUT)!; // the check made sure it is there
    this.obsSize = obs.layout.length;
    this.actionSize = metadata.actionLayout.length;
    this.maxTorqueNm = metadata.actionScaling.maxTorqueNm;
    this.inputData = new Float32Array(this.obsSize);
    this.outputData = new Float32Array(this.actionSize);
    this.feeds[OBS_INPUT] = new ort.Tensor('float32', this.inputData, obs.shape);
    this.extraInputs = artifactInputs(metadata).filter((i) => i.name !== OBS_INPUT);
    this.extraData = this.extraInputs.map((input) => {
      const data = new Float32Array(input.layout.length);
      this.feeds[input.name] = new ort.Tensor('float32', data, input.shape);
      return { name: input.name, data };
    });
    const actionOutput = graph.outputs.find((t) => !(metadata.recurrentState ?? []).some((s) => s.output === t.name))!;
    this.fetches[actionOutput.name] = new ort.Tensor('float32', this.outputData, [1, this.actionSize]);
    this.states = (metadata.recurrentState ?? []).map((spec) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const s = { spec, input: new Float32Array(size), output: new Float32Array(size) };
      this.feeds[spec.input] = new ort.Tensor('float32', s.input, spec.shape);
      this.fetches[spec.output] = new ort.Tensor('float32', s.output, spec.shape);
      return s;
    });
    // warm() writes into scratch outputs, never into the action or the carried state the tick reads.
    this.warmFetches = {};
    for (const [name, t] of Object.entries(this.fetches)) {
      this.warmFetches[name] = new ort.Tensor('float32', new Float32Array((t as Tensor).data.length), (t as Tensor).dims);
    }
  }

  /**
   * Load `file` for `caller`: read the metadata, read the graph's inputs and outputs, and
   * refuse (PolicyMismatchError naming the file and every difference) what the caller cannot run.
   */
  static async load(file: string, caller: CallerCapabilities): Promise<OnnxPolicy> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new Error(`policy ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const metadata = readArtifactMetadata(bytes, file);
    const ort = await loadOrt();
    let graph: GraphSignature;
    try {
      const probe = await ort.InferenceSession.create(bytes);
      graph = { inputs: graphTensors(probe.inputNames, probe.inputMetadata), outputs: graphTensors(probe.outputNames, probe.outputMetadata) };
      await probe.release();
    } catch (err) {
      throw new Error(`policy ${file}: onnxruntime cannot load the graph: ${(err as Error).message}`);
    }
    assertArtifactUsable(file, metadata, graph, caller);
    const native = require('onnxruntime-node/dist/binding.js') as NativeBinding;
    native.initOrt();
    const session = new native.binding.InferenceSession();
    // One thread, sequential, no spinning: a tick-sized graph runs fastest on the calling
    // thread, and spinning pool threads would steal the core the loop needs between ticks.
    const options = {
      executionProviders: [{ name: 'cpu' }], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
    // A residual artifact acts on top of its base controller, built for the caller's robot.
    const base = residualBaseFor(metadata, file, caller.robot ?? undefined);
    return new OnnxPolicy(ort, file, metadata, graph, session, base);
  }

  /** Zero the hidden state: at the start, on arm and after every e-stop. */
  reset(): void {
    for (const s of this.states) s.input.fill(0);
    this.base?.controller.reset();
  }

  /** One inference on the last input into a scratch output (the graph holds no state), to warm caches before a tick. */
  warm(): void {
    this.session.run(this.feeds, this.warmFetches, this.runOptions);
  }

  act(obs: Float32Array, out: Float32Array, extras?: Readonly<Record<string, Float32Array>>): void {
    this.inputData.set(obs);
    for (const e of this.extraData) {
      const given = extras?.[e.name];
      if (!given || given.length !== e.data.length) {
        throw new Error(`policy ${this.file}: input '${e.name}' needs ${e.data.length} values each tick, got ${given ? given.length : 'none'}`);
      }
      e.data.set(given);
    }
    this.session.run(this.feeds, this.fetches, this.runOptions);
    for (const s of this.states) s.input.set(s.output);
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
