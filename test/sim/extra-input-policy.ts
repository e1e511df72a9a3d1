// A multi-input policy artifact for tests: inputs 'obs' [1, 15] and one named extra input
// [1, N]; action = scale * extra[0] on every wheel, so a caller that does not feed the extra
// input, or feeds the wrong one, shows at once. Metadata is copied from `template`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { metadataToProps, readArtifactMetadata, type PolicyMetadata } from '../../sim/policy-artifact.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export function writeExtraInputPolicy(template: string, dir: string, o: { name: string; layout: string[]; scale?: number; units?: string; rateHz?: number }): string {
  const n = o.layout.length;
  const tensor = (name: string, dims: number[], values: number[]) => {
    const raw = new Uint8Array(values.length * 4);
    values.forEach((v, i) => new DataView(raw.buffer).setFloat32(i * 4, v, true));
    return { name, dims, dataType: FLOAT, rawData: raw };
  };
  const vi = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const pick = new Array(n * 3).fill(0);
  for (let k = 0; k < 3; k++) pick[k] = o.scale ?? 1; // row 0: extra[0] to every wheel
  const base = readArtifactMetadata(readFileSync(template), template);
  const meta: PolicyMetadata = {
    ...base,
    inputs: [
      { name: 'obs', layout: base.observationLayout, shape: [1, base.observationLayout.length] },
      { name: o.name, layout: o.layout, shape: [1, n], ...(o.units ? { units: o.units } : {}), ...(o.rateHz ? { rateHz: o.rateHz } : {}) },
    ],
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'extra-input',
      node: [
        { opType: 'MatMul', input: ['obs', 'zero_obs'], output: ['from_obs'] },
        { opType: 'MatMul', input: [o.name, 'pick'], output: ['from_extra'] },
        { opType: 'Add', input: ['from_obs', 'from_extra'], output: ['action'] },
      ],
      initializer: [tensor('zero_obs', [15, 3], new Array(45).fill(0)), tensor('pick', [n, 3], pick)],
      input: [vi('obs', [1, 15]), vi(o.name, [1, n])],
      output: [vi('action', [1, 3])],
    },
    metadataProps: Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value })),
  });
  const file = join(dir, `extra-${o.name}.onnx`);
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}
