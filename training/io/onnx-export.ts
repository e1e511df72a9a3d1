// Export a deterministic MLP actor as one ONNX file (opset 17, IR version 8) built with
// onnx-proto: input 'obs' [N, obsSize] -> optional folded normalization -> Gemm+activation
// per layer -> optional output clip -> output 'action' [N, actSize]. Metadata (observation
// layout, robot identity, rate, ...) goes into metadata_props so deploy can check it.
import onnxProto from 'onnx-proto';
import { metadataToProps, type PolicyMetadata } from '../../sim/policy-artifact.js';
import { layerSizes, type MlpPolicySpec } from '../networks/mlp-policy-spec.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export const OBS_INPUT = 'obs';
export const ACTION_OUTPUT = 'action';

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

function valueInfo(name: string, size: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: size }] } } },
  };
}

/** Build the ONNX ModelProto bytes for `spec` with `metadata` in metadata_props. */
export function exportMlpPolicyOnnx(spec: MlpPolicySpec, metadata: PolicyMetadata): Uint8Array {
  const { inputSize, outputSize } = layerSizes(spec);
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  let current = OBS_INPUT;
  let step = 0;
  const fresh = (what: string) => `${what}_${step++}`;

  if (spec.obsMean && spec.obsStd) {
    for (let i = 0; i < spec.obsStd.length; i++) {
      if (!(spec.obsStd[i] > 0) || !Number.isFinite(spec.obsStd[i])) throw new Error(`obsStd[${i}] = ${spec.obsStd[i]} must be positive and finite`);
    }
    initializer.push(floatTensor('obs_mean', [inputSize], spec.obsMean), floatTensor('obs_std', [inputSize], spec.obsStd));
    const centered = fresh('obs_centered');
    const scaled = fresh('obs_scaled');
    nodes.push({ opType: 'Sub', input: [current, 'obs_mean'], output: [centered], name: 'normalize_sub' });
    nodes.push({ opType: 'Div', input: [centered, 'obs_std'], output: [scaled], name: 'normalize_div' });
    current = scaled;
    if (spec.obsClip !== undefined) {
      initializer.push(scalar('obs_clip_lo', -spec.obsClip), scalar('obs_clip_hi', spec.obsClip));
      const clipped = fresh('obs_normalized');
      nodes.push({ opType: 'Clip', input: [current, 'obs_clip_lo', 'obs_clip_hi'], output: [clipped], name: 'normalize_clip' });
      current = clipped;
    }
  }

  spec.layers.forEach((layer, k) => {
    const out = layer.bias.length;
    const inp = layer.weights.length / out;
    initializer.push(floatTensor(`layer${k}_weight`, [inp, out], layer.weights), floatTensor(`layer${k}_bias`, [out], layer.bias));
    const pre = fresh(`layer${k}_linear`);
    nodes.push({ opType: 'Gemm', input: [current, `layer${k}_weight`, `layer${k}_bias`], output: [pre], name: `layer${k}_gemm` });
    current = pre;
    const op = { tanh: 'Tanh', relu: 'Relu', elu: 'Elu', linear: null }[layer.activation];
    if (op) {
      const act = fresh(`layer${k}_${layer.activation}`);
      const node: onnxProto.onnx.INodeProto = { opType: op, input: [current], output: [act], name: `layer${k}_${layer.activation}` };
      if (op === 'Elu') node.attribute = [{ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 }];
      nodes.push(node);
      current = act;
    }
  });

  if (spec.actionClip !== undefined) {
    initializer.push(scalar('action_clip_lo', -spec.actionClip), scalar('action_clip_hi', spec.actionClip));
    const clipped = fresh('action_clipped');
    nodes.push({ opType: 'Clip', input: [current, 'action_clip_lo', 'action_clip_hi'], output: [clipped], name: 'action_clip' });
    current = clipped;
  }
  // The last node writes the graph output by name.
  nodes[nodes.length - 1].output = [ACTION_OUTPUT];

  const meta: PolicyMetadata = spec.obsMean ? { ...metadata, normalization: 'folded' } : metadata;
  if (meta.observationLayout.length !== inputSize) {
    throw new Error(`metadata observationLayout has ${meta.observationLayout.length} names, the policy takes ${inputSize} inputs`);
  }
  if (meta.actionLayout.length !== outputSize) {
    throw new Error(`metadata actionLayout has ${meta.actionLayout.length} names, the policy outputs ${outputSize}`);
  }
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'ballbot',
    producerVersion: meta.producer,
    docString: `ballbot MLP policy for task ${meta.task}`,
    graph: {
      name: 'ballbot_policy',
      node: nodes,
      initializer,
      input: [valueInfo(OBS_INPUT, inputSize)],
      output: [valueInfo(ACTION_OUTPUT, outputSize)],
    },
    metadataProps: Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}
