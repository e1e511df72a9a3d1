// Multi-input policy artifacts for tests: inputs 'obs' [1, 15] and named extra inputs [1, N];
// action = scale * (first value of every extra input) on every wheel, so a caller that does not
// feed an extra input, or feeds the wrong one, shows at once. Metadata is copied from
// `template` (a residual template stays a residual: its base controller balances the robot).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { floatTensor, floatValueInfo } from './onnx-graph.js';
import { metadataToProps, readArtifactMetadata, type PolicyMetadata } from '../../sim/policy-artifact.js';

const { onnx } = onnxProto;

export interface ExtraInput { name: string; layout: string[]; units?: string; rateHz?: number }

export function writeExtraInputPolicy(template: string, dir: string, o: ExtraInput & { scale?: number }): string {
  return writeMultiInputPolicy(template, dir, [o], o.scale, `extra-${o.name}.onnx`);
}

export function writeMultiInputPolicy(template: string, dir: string, extras: readonly ExtraInput[], scale = 1, fileName = `extra-${extras.map((e) => e.name).join('-')}.onnx`): string {
  const tensor = floatTensor, vi = floatValueInfo;
  const base = readArtifactMetadata(readFileSync(template), template);
  const meta: PolicyMetadata = {
    ...base,
    inputs: [
      { name: 'obs', layout: base.observationLayout, shape: [1, base.observationLayout.length] },
      ...extras.map((o) => ({ name: o.name, layout: o.layout, shape: [1, o.layout.length], ...(o.units ? { units: o.units } : {}), ...(o.rateHz ? { rateHz: o.rateHz } : {}) })),
    ],
  };
  // Per extra input: MatMul by a [N, 3] matrix whose row 0 is `scale` (extra[0] to every wheel), then a sum.
  const pick = (n: number) => { const m = new Array(n * 3).fill(0); for (let k = 0; k < 3; k++) m[k] = scale; return m; };
  const terms = extras.map((o, k) => ({ opType: 'MatMul', input: [o.name, `pick_${k}`], output: [`from_${k}`] }));
  const sums = extras.map((_, k) => ({ opType: 'Add', input: [k === 0 ? 'from_obs' : `sum_${k - 1}`, `from_${k}`], output: [k === extras.length - 1 ? 'action' : `sum_${k}`] }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'extra-input',
      node: [{ opType: 'MatMul', input: ['obs', 'zero_obs'], output: ['from_obs'] }, ...terms, ...sums],
      initializer: [tensor('zero_obs', [15, 3], new Array(45).fill(0)), ...extras.map((o, k) => tensor(`pick_${k}`, [o.layout.length, 3], pick(o.layout.length)))],
      input: [vi('obs', [1, 15]), ...extras.map((o) => vi(o.name, [1, o.layout.length]))],
      output: [vi('action', [1, 3])],
    },
    metadataProps: Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value })),
  });
  const file = join(dir, fileName);
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}
