// Export a deterministic MLP actor as one ONNX file (opset 17, IR version 8) built with
// onnx-proto: input 'obs' [N, obsSize] -> optional folded normalization -> Gemm+activation
// per layer -> optional output clip -> output 'action' [N, actSize]. A perceptive policy has
// one more input per encoder ('height_scan', 'depth': [N, rows, cols]) whose fixed scale,
// convolutions and dense layers are in the graph, concatenated after the normalized obs.
// Metadata (observation layout, inputs, robot identity, rate, ...) goes into metadata_props so
// deploy can check it.
import onnxProto from 'onnx-proto';
import { artifactInputs, metadataToProps, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { CONV_KERNEL, CONV_PAD, CONV_STRIDE } from '../networks/encoders.js';
import {
  TRACKING_MEMORY_LAYOUT, TRACKING_MEMORY_SIZE, TRACKING_MEMORY_UNITS, TRACKING_MEMORY_UPDATE, type TrackingMemoryModel,
} from '../../sim/tracking-memory.js';
import { historyInjectMatrix, historyShiftMatrix, type ObservationHistoryModel } from '../../sim/observation-history.js';
import { layerSizes, type DenseLayerSpec, type EncoderSpec, type MlpPolicySpec } from '../networks/mlp-policy-spec.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export const OBS_INPUT = 'obs';
export const ACTION_OUTPUT = 'action';
export const MEMORY_INPUT = 'memory_in';
export const MEMORY_OUTPUT = 'memory_out';
export const HISTORY_INPUT = 'history_in';
export const HISTORY_OUTPUT = 'history_out';

/** The metadata of a tracking-memory artifact: its recurrent state and what that state holds. */
export function trackingMemoryMetadata(memory: TrackingMemoryModel): Required<Pick<PolicyMetadata, 'recurrentState' | 'trackingMemory'>> {
  return {
    recurrentState: [{ input: MEMORY_INPUT, output: MEMORY_OUTPUT, shape: [1, TRACKING_MEMORY_SIZE] }],
    trackingMemory: {
      state: MEMORY_INPUT, layout: [...TRACKING_MEMORY_LAYOUT], units: [...TRACKING_MEMORY_UNITS],
      leakSeconds: memory.options.leakSeconds, clip: Array.from(memory.clip), update: TRACKING_MEMORY_UPDATE,
    },
  };
}

/** The recurrent state an observation-history artifact carries, [1, steps x block]. */
export function observationHistoryState(history: ObservationHistoryModel): NonNullable<PolicyMetadata['recurrentState']>[number] {
  return { input: HISTORY_INPUT, output: HISTORY_OUTPUT, shape: [1, history.size] };
}

/** Everything an artifact carries from tick to tick, in graph order: tracking memory, then history. */
export function carriedStateMetadata(memory: TrackingMemoryModel | null, history: ObservationHistoryModel | null): Pick<PolicyMetadata, 'recurrentState' | 'trackingMemory'> {
  const mem = memory ? trackingMemoryMetadata(memory) : null;
  const state = [...(mem?.recurrentState ?? []), ...(history ? [observationHistoryState(history)] : [])];
  return { ...(state.length ? { recurrentState: state } : {}), ...(mem ? { trackingMemory: mem.trackingMemory } : {}) };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function floatTensor(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`tensor ${name}: ${values.length} values for dims [${dims}]`);
  const raw = new Uint8Array(count * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) view.setFloat32(i * 4, values[i], true); // ONNX raw_data is little-endian
  return { name, dims, dataType: FLOAT, rawData: raw };
}

function scalar(name: string, value: number): onnxProto.onnx.ITensorProto {
  return floatTensor(name, [], Float32Array.of(value));
}

function valueInfo(name: string, ...dims: number[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, ...dims.map((d) => ({ dimValue: d }))] } } },
  };
}

const ints = (name: string, values: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number): onnxProto.onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

/** Nodes and initializers of one graph, with fresh value names. */
class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializer: onnxProto.onnx.ITensorProto[] = [];
  private step = 0;

  fresh(what: string): string {
    return `${what}_${this.step++}`;
  }

  node(opType: string, input: string[], name: string, attribute?: onnxProto.onnx.IAttributeProto[]): string {
    const out = this.fresh(name);
    this.nodes.push({ opType, input, output: [out], name, ...(attribute ? { attribute } : {}) });
    return out;
  }

  activation(input: string, activation: DenseLayerSpec['activation'], name: string): string {
    const op = { tanh: 'Tanh', relu: 'Relu', elu: 'Elu', linear: null }[activation];
    if (!op) return input;
    return this.node(op, [input], `${name}_${activation}`, op === 'Elu' ? [{ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }] : undefined);
  }

  dense(input: string, layers: readonly DenseLayerSpec[], prefix: string): string {
    let current = input;
    layers.forEach((layer, k) => {
      const out = layer.bias.length;
      const inp = layer.weights.length / out;
      this.initializer.push(floatTensor(`${prefix}${k}_weight`, [inp, out], layer.weights), floatTensor(`${prefix}${k}_bias`, [out], layer.bias));
      current = this.node('Gemm', [current, `${prefix}${k}_weight`, `${prefix}${k}_bias`], `${prefix}${k}_gemm`);
      current = this.activation(current, layer.activation, `${prefix}${k}`);
    });
    return current;
  }

  /** input [N, rows, cols] -> / scale -> convolutions (NCHW) -> flatten in (row, column, channel) order -> dense. */
  encoder(e: EncoderSpec): string {
    const p = `enc_${e.input}`;
    this.initializer.push(scalar(`${p}_inv_scale`, 1 / e.scale));
    let x = this.node('Mul', [e.input, `${p}_inv_scale`], `${p}_scale`);
    if (e.convs.length) {
      this.initializer.push({ name: `${p}_channel_axis`, dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1] });
      x = this.node('Unsqueeze', [x, `${p}_channel_axis`], `${p}_unsqueeze`); // [N, 1, rows, cols]
      e.convs.forEach((c, k) => {
        // Training keeps filters as [k][k][in][out]; ONNX wants [out][in][k][k].
        const K = CONV_KERNEL, I = c.inChannels, O = c.outChannels;
        const w = new Float32Array(O * I * K * K);
        for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) {
          w[((o * I + i) * K + ky) * K + kx] = c.weights[((ky * K + kx) * I + i) * O + o];
        }
        this.initializer.push(floatTensor(`${p}_conv${k}_weight`, [O, I, K, K], w), floatTensor(`${p}_conv${k}_bias`, [O], c.bias));
        x = this.node('Conv', [x, `${p}_conv${k}_weight`, `${p}_conv${k}_bias`], `${p}_conv${k}`, [
          ints('kernel_shape', [K, K]), ints('strides', [CONV_STRIDE, CONV_STRIDE]), ints('pads', [CONV_PAD, CONV_PAD, CONV_PAD, CONV_PAD]),
        ]);
        x = this.activation(x, c.activation, `${p}_conv${k}`);
      });
      x = this.node('Transpose', [x], `${p}_nhwc`, [ints('perm', [0, 2, 3, 1])]);
    }
    x = this.node('Flatten', [x], `${p}_flatten`, [int('axis', 1)]);
    return this.dense(x, e.layers, `${p}_layer`);
  }

  /**
   * The tracking memory of sim/tracking-memory.ts from the same matrix, leak and clip:
   * memory_out = clip(leak * memory_in + obs * stepMatrix); returns [obs, memory_out / clip].
   */
  trackingMemory(memory: TrackingMemoryModel): string {
    const M = TRACKING_MEMORY_SIZE;
    const clip = Float32Array.from(memory.clip);
    this.initializer.push(
      floatTensor('memory_step_matrix', [memory.stepMatrix.length / M, M], Float32Array.from(memory.stepMatrix)),
      scalar('memory_leak', memory.leak),
      floatTensor('memory_clip_lo', [M], clip.map((c) => -c)),
      floatTensor('memory_clip_hi', [M], clip),
    );
    const increment = this.node('MatMul', [OBS_INPUT, 'memory_step_matrix'], 'memory_increment');
    const leaked = this.node('Mul', [MEMORY_INPUT, 'memory_leak'], 'memory_decay');
    const sum = this.node('Add', [leaked, increment], 'memory_sum');
    const low = this.node('Max', [sum, 'memory_clip_lo'], 'memory_clip_low');
    this.nodes.push({ opType: 'Min', input: [low, 'memory_clip_hi'], output: [MEMORY_OUTPUT], name: 'memory_clip_high' });
    const features = this.node('Div', [MEMORY_OUTPUT, 'memory_clip_hi'], 'memory_features');
    return this.node('Concat', [OBS_INPUT, features], 'obs_with_memory', [int('axis', 1)]);
  }

  /**
   * The observation history of sim/observation-history.ts with its 0/1 matrices (exact in
   * float32): history_out = history_in * shift + obs * inject; returns [input, history_out].
   */
  observationHistory(history: ObservationHistoryModel, input: string): string {
    const n = history.size;
    const inject = historyInjectMatrix(history);
    this.initializer.push(floatTensor('history_shift', [n, n], historyShiftMatrix(history)), floatTensor('history_inject', [inject.length / n, n], inject));
    const kept = this.node('MatMul', [HISTORY_INPUT, 'history_shift'], 'history_kept');
    const newest = this.node('MatMul', [OBS_INPUT, 'history_inject'], 'history_newest');
    this.nodes.push({ opType: 'Add', input: [kept, newest], output: [HISTORY_OUTPUT], name: 'history_update' });
    return this.node('Concat', [input, HISTORY_OUTPUT], 'obs_with_history', [int('axis', 1)]);
  }
}

/**
 * Build the ONNX ModelProto bytes for `spec` with `metadata` in metadata_props. With `memory`,
 * the actor's input is [obs, memory / clip] and the graph carries the memory as recurrent state
 * 'memory_in' -> 'memory_out' [N, 3]; with `history`, the last observations follow as
 * 'history_in' -> 'history_out' [N, steps x block]. The metadata must declare exactly those.
 */
export function exportMlpPolicyOnnx(spec: MlpPolicySpec, metadata: PolicyMetadata, memory?: TrackingMemoryModel, history?: ObservationHistoryModel): Uint8Array {
  const { inputSize, outputSize } = layerSizes(spec);
  const obsSize = inputSize - (memory ? TRACKING_MEMORY_SIZE : 0) - (history ? history.size : 0);
  const g = new GraphBuilder();
  let current = memory ? g.trackingMemory(memory) : OBS_INPUT;
  if (history) current = g.observationHistory(history, current);

  if (spec.obsMean && spec.obsStd) {
    for (let i = 0; i < spec.obsStd.length; i++) {
      if (!(spec.obsStd[i] > 0) || !Number.isFinite(spec.obsStd[i])) throw new Error(`obsStd[${i}] = ${spec.obsStd[i]} must be positive and finite`);
    }
    g.initializer.push(floatTensor('obs_mean', [inputSize], spec.obsMean), floatTensor('obs_std', [inputSize], spec.obsStd));
    current = g.node('Sub', [current, 'obs_mean'], 'normalize_sub');
    current = g.node('Div', [current, 'obs_std'], 'normalize_div');
    if (spec.obsClip !== undefined) {
      g.initializer.push(scalar('obs_clip_lo', -spec.obsClip), scalar('obs_clip_hi', spec.obsClip));
      current = g.node('Clip', [current, 'obs_clip_lo', 'obs_clip_hi'], 'normalize_clip');
    }
  }
  const encoders = spec.encoders ?? [];
  if (encoders.length) current = g.node('Concat', [current, ...encoders.map((e) => g.encoder(e))], 'trunk_input', [int('axis', 1)]);

  current = g.dense(current, spec.layers, 'layer');

  if (spec.actionClip !== undefined) {
    g.initializer.push(scalar('action_clip_lo', -spec.actionClip), scalar('action_clip_hi', spec.actionClip));
    current = g.node('Clip', [current, 'action_clip_lo', 'action_clip_hi'], 'action_clip');
  }
  // The last node writes the graph output by name.
  g.nodes[g.nodes.length - 1].output = [ACTION_OUTPUT];

  const meta: PolicyMetadata = spec.obsMean ? { ...metadata, normalization: 'folded' } : metadata;
  if (meta.observationLayout.length !== obsSize) {
    throw new Error(`metadata observationLayout has ${meta.observationLayout.length} names, the policy takes ${obsSize} observation inputs`);
  }
  const carried = carriedStateMetadata(memory ?? null, history ?? null).recurrentState ?? [];
  if (JSON.stringify(meta.recurrentState ?? []) !== JSON.stringify(carried)) {
    throw new Error(`metadata recurrentState must declare exactly what the graph carries, ${JSON.stringify(carried)}; got ${JSON.stringify(meta.recurrentState ?? [])}`);
  }
  if (meta.actionLayout.length !== outputSize) {
    throw new Error(`metadata actionLayout has ${meta.actionLayout.length} names, the policy outputs ${outputSize}`);
  }
  // Every graph input is described by the metadata with the shape the graph has.
  const described = artifactInputs(meta);
  const graphInputs = [{ name: OBS_INPUT, dims: [obsSize] }, ...encoders.map((e) => ({ name: e.input, dims: [e.rows, e.cols] }))];
  for (const gi of graphInputs) {
    const d = described.find((i) => i.name === gi.name);
    if (!d || d.shape.slice(1).join(',') !== gi.dims.join(',')) {
      throw new Error(`metadata inputs: graph input '${gi.name}' [N, ${gi.dims}] is ${d ? `described as [${d.shape}]` : 'not described'}`);
    }
  }
  if (described.length !== graphInputs.length) throw new Error(`metadata inputs name ${described.map((i) => i.name).join(', ')}, the graph takes ${graphInputs.map((i) => i.name).join(', ')}`);
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'ballbot',
    producerVersion: meta.producer,
    docString: `ballbot ${encoders.length ? 'perceptive ' : ''}MLP policy${memory ? ' with tracking memory' : ''}${history ? ` with ${history.options.steps} observations of history` : ''} for task ${meta.task}`,
    graph: {
      name: 'ballbot_policy',
      node: g.nodes,
      initializer: g.initializer,
      input: [...graphInputs.map((gi) => valueInfo(gi.name, ...gi.dims)), ...carried.map((st) => valueInfo(st.input, ...st.shape.slice(1)))],
      output: [valueInfo(ACTION_OUTPUT, outputSize), ...carried.map((st) => valueInfo(st.output, ...st.shape.slice(1)))],
    },
    metadataProps: Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
