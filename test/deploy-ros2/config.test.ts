import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commandIndexOfWheel, COMMAND_QOS, ESTOP_QOS, loadRos2Config, STATE_QOS } from '../../deploy/links/ros2/config.js';
import { ConfigError } from '../../sim/config/yaml.js';

const configDir = fileURLToPath(new URL('../../../configs/deploy', import.meta.url));
const shipped = join(configDir, 'ros2.yaml');

function withYaml(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ros2-config-'));
  const file = join(dir, 'ros2.yaml');
  writeFileSync(file, edit(readFileSync(shipped, 'utf8')));
  return file;
}

test('the shipped configs load, with the QoS the link is specified to use', () => {
  const cfg = loadRos2Config(shipped);
  assert.deepEqual(cfg.state.imu.qos, STATE_QOS);
  assert.deepEqual(cfg.state.jointStates.qos, STATE_QOS);
  assert.deepEqual(cfg.commands.qos, COMMAND_QOS);
  assert.deepEqual(cfg.estop.input.qos, ESTOP_QOS);
  assert.deepEqual(cfg.estop.output.qos, ESTOP_QOS);
  assert.equal(STATE_QOS.reliability, 'best_effort');
  assert.equal(STATE_QOS.depth, 1);
  assert.equal(ESTOP_QOS.reliability, 'reliable');
  const stock = loadRos2Config(join(configDir, 'ros2-control.yaml'));
  assert.equal(stock.commands.qos.reliability, 'reliable');
  assert.equal(stock.estop.inputTimeoutMs, 500);
});

test('QoS defaults apply when a topic gives none', () => {
  const cfg = loadRos2Config(withYaml((t) => t.replace(/\n    qos: \{ reliability: best_effort, history: keep_last, depth: 1 \}\n  jointStates:/, '\n  jointStates:')));
  assert.deepEqual(cfg.state.imu.qos, STATE_QOS);
});

test('controllerJoints maps each model wheel to its slot in the command array', () => {
  const cfg = loadRos2Config(withYaml((t) => t.replace('# controllerJoints: [wheel_0_joint, wheel_1_joint, wheel_2_joint]', 'controllerJoints: [wheel_2_joint, wheel_0_joint, wheel_1_joint]')));
  assert.deepEqual(Array.from(commandIndexOfWheel(cfg)), [1, 2, 0]);
  assert.deepEqual(Array.from(commandIndexOfWheel(loadRos2Config(shipped))), [0, 1, 2]);
});

test('bad configs are refused naming the file and the key', () => {
  const cases: [(t: string) => string, RegExp][] = [
    [(t) => t.replace('reliability: best_effort, history: keep_last, depth: 1 }\n  jointStates', 'reliability: sometimes, history: keep_last, depth: 1 }\n  jointStates'), /state\.imu\.qos\.reliability/],
    [(t) => t.replace('# controllerJoints: [wheel_0_joint, wheel_1_joint, wheel_2_joint]', 'controllerJoints: [wheel_0_joint, wheel_1_joint, elbow]'), /commands\.controllerJoints: must list the same three joints/],
    [(t) => t.replace('topic: /ballbot/estop_engaged', 'topic: /ballbot/estop'), /estop\.output\.topic: must differ/],
    [(t) => t.replace('wheelJoints: [wheel_0_joint, wheel_1_joint, wheel_2_joint]', 'wheelJoints: [a, a, b]'), /wheelJoints: the three wheel joint names must differ/],
    [(t) => t.replace('maxEffort: 1.98', 'maxEffort: -1'), /commands\.maxEffort/],
    [(t) => t.replace('wheelSigns: [1, 1, 1]', 'wheelSigns: [1, 2, 1]'), /wheelSigns\.1/],
    [(t) => t + 'extra: 1\n', /unknown key 'extra'/],
  ];
  for (const [edit, expected] of cases) {
    const file = withYaml(edit);
    assert.throws(() => loadRos2Config(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, expected);
      assert.ok(err.message.includes(file), 'names the file');
      return true;
    });
  }
});
