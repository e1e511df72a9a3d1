// Hostile and inconsistent config input: prototype keys never reach an object's prototype,
// and a physics step that does not divide the control period is refused, not rounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig, substepsPerControl } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { ConfigError, applyOverrides, parseYaml } from '../../sim/config/yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'ballbot-hostile-'));

function configError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `message should mention '${f}': ${err.message}`);
    return true;
  });
}

test('--set with __proto__, constructor or prototype in the key path is refused and pollutes nothing', () => {
  for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__.polluted', 'a.prototype']) {
    configError(() => applyOverrides({ a: {} }, [`${key}=1`]), key, 'not allowed');
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  // A YAML value given to --set is checked too.
  configError(() => applyOverrides({}, ['env={__proto__: {polluted: 1}}']), 'override env=', "'__proto__' is not allowed");
  configError(() => applyOverrides({}, ['a..b=1']), 'empty key');
});

test('a YAML config with a prototype key at any depth names the file and the key path', () => {
  const text = readFileSync(DEFAULT_ROBOT_CONFIG, 'utf8').replace('ball:\n', 'ball:\n  __proto__:\n    radius: 5\n');
  assert.notEqual(text, readFileSync(DEFAULT_ROBOT_CONFIG, 'utf8'), 'the edit must apply');
  const file = join(dir, 'proto.yaml');
  writeFileSync(file, text);
  configError(() => loadRobotConfig(file), file, 'ball.__proto__');
  configError(() => parseYaml('constructor:\n  prototype:\n    x: 1\n', 'inline.yaml'), 'inline.yaml', 'constructor');
});

test('physicsDt that does not divide the control period is refused; one that does is accepted', () => {
  const base = readFileSync(DEFAULT_ROBOT_CONFIG, 'utf8');
  assert.match(base, /physicsDt: 0\.002/);
  const bad = join(dir, 'dt-bad.yaml');
  writeFileSync(bad, base.replace(/physicsDt: 0\.002/, 'physicsDt: 0.003'));
  configError(() => loadRobotConfig(bad), bad, 'control.physicsDt', 'whole number');
  const good = join(dir, 'dt-good.yaml');
  writeFileSync(good, base.replace(/physicsDt: 0\.002/, 'physicsDt: 0.0025'));
  assert.equal(substepsPerControl(loadRobotConfig(good)), 4);
  // 1 / (100 * 0.001) is not exactly 10 in floating point: the check is tolerance-aware.
  const fine = join(dir, 'dt-fine.yaml');
  writeFileSync(fine, base.replace(/physicsDt: 0\.002/, 'physicsDt: 0.001'));
  assert.equal(substepsPerControl(loadRobotConfig(fine)), 10);
});

test('a config path that is a device, a directory or a huge file is refused without reading it', () => {
  configError(() => loadRobotConfig('/dev/zero'), '/dev/zero', 'not a regular file');
  configError(() => loadRobotConfig(dir), dir, 'is a directory');
  const huge = join(dir, 'huge.yaml');
  writeFileSync(huge, Buffer.alloc(5 * 1024 * 1024, 0x20));
  configError(() => loadRobotConfig(huge), huge, 'more than a config can');
});
