// A recurrent policy artifact for tests: state_out = state_in + 1 and action = scale *
// state_in[0] on every wheel, so the k-th call after a reset returns scale * (k - 1) only if
// the caller carries the state and zeroes it on reset. Metadata is copied from `template`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { floatTensor, floatValueInfo } from './onnx-graph.js';
import { metadataToProps, readArtifactMetadata, type PolicyMetadata } from '../../sim/policy-artifact.js';

const { onnx } = onnxProto;
const H = 4;

export function writeCounterPolicy(template: string, dir: string, o: { declareState: boolean; scale?: number }): string {
  const tensor = floatTensor, vi = floatValueInfo;
  const pick = new Array(H * 3).fill(0);
  for (let k = 0; k < 3; k++) pick[k] = o.scale ?? 1; // row 0 of the [H, 3] matrix: state[0] to every wheel
  const meta: PolicyMetadata = {
    ...readArtifactMetadata(readFileSync(template), template),
    ...(o.declareState ? { recurrentState: [{ input: 'state_in', output: 'state_out', shape: [1, H] }] } : {}),
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'counter',
      node: [
        { opType: 'Add', input: ['state_in', 'one'], output: ['state_out'] },
        { opType: 'MatMul', input: ['obs', 'zero_obs'], output: ['from_obs'] },
        { opType: 'MatMul', input: ['state_in', 'pick'], output: ['from_state'] },
        { opType: 'Add', input: ['from_obs', 'from_state'], output: ['action'] },
      ],
      initializer: [tensor('one', [1, H], new Array(H).fill(1)), tensor('zero_obs', [15, 3], new Array(45).fill(0)), tensor('pick', [H, 3], pick)],
      input: [vi('obs', [1, 15]), vi('state_in', [1, H])],
      output: [vi('action', [1, 3]), vi('state_out', [1, H])],
    },
    metadataProps: Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value })),
  });
  const file = join(dir, `counter-${o.declareState ? 'declared' : 'undeclared'}-${o.scale ?? 1}.onnx`);
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}
