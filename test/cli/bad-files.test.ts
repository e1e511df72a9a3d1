// Files that are not what their name says: every command that reads a policy says the file is
// empty or not an ONNX model (naming it), not that its metadata is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readArtifactMetadata } from '../../sim/policy-artifact.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ballbot-badfiles-'));

test('an empty .onnx is reported as empty, and bytes with no graph as not an ONNX model', () => {
  const empty = join(dir, 'empty.onnx');
  writeFileSync(empty, '');
  assert.throws(() => readArtifactMetadata(new Uint8Array(0), empty), (e: Error) => e.message === `${empty} is empty (0 bytes): not an ONNX model`);
  // Bytes that protobuf decodes without complaint (a varint field 1) but that hold no graph.
  assert.throws(() => readArtifactMetadata(Uint8Array.of(0x08, 0x07), 'tiny.onnx'), /tiny\.onnx is not an ONNX model \(2 bytes, no graph/);
  for (const args of [['sim', '--policy', empty, '--seconds', '0.1'], ['eval', '--policy', empty, '--episodes', '1'], ['deploy', '--policy', empty, '--seconds', '0.1', '--arm']]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0, args.join(' '));
    assert.ok(r.stderr.includes(`${empty} is empty (0 bytes): not an ONNX model`), `${args[0]}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /metadata/, args[0]);
  }
});
