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

test('--policy that is missing or a directory is a usage error naming the flag, for every command', () => {
  for (const command of [['sim', '--seconds', '0.1'], ['eval', '--episodes', '1'], ['deploy', '--seconds', '0.1'], ['hil', '--virtual'], ['view', '--live']]) {
    for (const [path, what] of [[dir, 'is a directory'], [join(dir, 'missing.onnx'), 'no such file']]) {
      const r = spawnSync(process.execPath, [BIN, ...command, '--policy', path], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, `${command[0]} --policy ${path}: exit ${r.status}\n${r.stderr}`);
      assert.ok(r.stderr.includes(`--policy ${path}: ${what}`), `${command[0]}: ${r.stderr}`);
    }
  }
});

test('train --out naming a file is a usage error', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const r = spawnSync(process.execPath, [BIN, 'train', '--task', 'pendulum', '--out', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--out .*a-file is a file/);
});

test('a deploy config without a robot key uses the package robot; a robot path that does not resolve names the key and file', async () => {
  const { loadDeployConfig } = await import('../../deploy/config.js');
  const { DEFAULT_ROBOT_CONFIG } = await import('../../sim/config/paths.js');
  const bare = join(dir, 'deploy-bare.yaml');
  writeFileSync(bare, 'rateHz: 100\n');
  assert.equal(loadDeployConfig(bare).robotFile, DEFAULT_ROBOT_CONFIG);
  const wrong = join(dir, 'deploy-wrong.yaml');
  writeFileSync(wrong, 'robot: robots/mine.yaml\n');
  assert.throws(() => loadDeployConfig(wrong), (e: Error) => e.message.includes(wrong) && /robot: 'robots\/mine\.yaml' resolves to .*does not exist/.test(e.message));
});
