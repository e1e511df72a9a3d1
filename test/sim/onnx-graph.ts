// Float32 initializers and value infos for the tiny ONNX graphs test fixtures write by hand.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** A float32 initializer `name` of shape `dims`, little-endian raw data. */
export function floatTensor(name: string, dims: number[], values: number[]) {
  const raw = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(raw.buffer).setFloat32(i * 4, v, true));
  return { name, dims, dataType: FLOAT, rawData: raw };
}

/** A float32 graph input or output `name` of fixed shape `dims`. */
export function floatValueInfo(name: string, dims: number[]) {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}
