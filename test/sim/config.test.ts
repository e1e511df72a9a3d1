// Bad configs are rejected with a message naming the file and the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadRobotConfig, robotIdentity } from '../../sim/config/robot.js';
import { loadTask } from '../../sim/config/task.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { DEFAULT_RANDOMIZATION_CONFIG, DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { ConfigError, applyOverrides } from '../../sim/config/yaml.js';

const dir = mkdtempSync(join(tmpdir(), 'ballbot-config-'));
function variant(source: string, name: string, edit: (doc: Record<string, any>) => void): string {
  const doc = parse(readFileSync(source, 'utf8'));
  edit(doc);
  const file = join(dir, name);
  writeFileSync(file, stringify(doc));
  return file;
}

function rejects(load: () => unknown, file: string, ...fragments: string[]) {
  assert.throws(load, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    assert.ok(err.message.includes(file), `message should name the file: ${err.message}`);
    for (const f of fragments) assert.ok(err.message.includes(f), `message should mention '${f}': ${err.message}`);
    return true;
  });
}

test('the shipped configs load', () => {
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  assert.equal(robot.ball.radius, 0.121);
  for (const t of ['balance', 'velocity', 'terrain']) assert.equal(loadTask(t).name, t);
  assert.ok(loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG).pushes.enabled);
});

test('unknown key, out-of-range value and wrong type name the file and the key', () => {
  const unknown = variant(DEFAULT_ROBOT_CONFIG, 'unknown.yaml', (d) => (d.body.massss = 3));
  rejects(() => loadRobotConfig(unknown), unknown, 'body', 'massss');
  const range = variant(DEFAULT_ROBOT_CONFIG, 'range.yaml', (d) => (d.wheels.zenithDeg = 120));
  rejects(() => loadRobotConfig(range), range, 'wheels.zenithDeg', '85');
  const type = variant(DEFAULT_ROBOT_CONFIG, 'type.yaml', (d) => (d.motor.maxTorque = 'strong'));
  rejects(() => loadRobotConfig(type), type, 'motor.maxTorque', 'number');
  const missing = variant(DEFAULT_ROBOT_CONFIG, 'missing.yaml', (d) => delete d.ball.radius);
  rejects(() => loadRobotConfig(missing), missing, 'ball.radius');
  const badRange = variant(DEFAULT_RANDOMIZATION_CONFIG, 'rand.yaml', (d) => (d.friction = [1.2, 0.5]));
  rejects(() => loadRandomizationConfig(badRange), badRange, 'friction', 'low <= high');
  const badTask = join(dir, 'task.yaml');
  writeFileSync(badTask, 'name: x\nepisodeSeconds: -1\n');
  rejects(() => loadTask(badTask), badTask, 'episodeSeconds', 'tiltLimitDeg');
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'name: [unclosed\n');
  rejects(() => loadRobotConfig(broken), broken);
  rejects(() => loadRobotConfig(join(dir, 'nope.yaml')), 'nope.yaml', 'cannot read');
});

test('overrides keep types and robot identity tracks parameters', () => {
  const base = { a: { b: 1, c: [1, 2] }, d: true };
  assert.deepEqual(applyOverrides(base, ['a.b=2.5', 'a.c=[3, 4]', 'd=false', 'e.f=x']), { a: { b: 2.5, c: [3, 4] }, d: false, e: { f: 'x' } });
  assert.throws(() => applyOverrides(base, ['novalue']), /key.path=value/);
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const same = robotIdentity(structuredClone(robot));
  assert.deepEqual(robotIdentity(robot), same);
  assert.notEqual(robotIdentity({ ...robot, body: { ...robot.body, mass: 4.5 } }).hash, same.hash);
});
