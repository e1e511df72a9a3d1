import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRos2Link, Ros2UnavailableError } from '../../deploy/links/ros2/index.js';
import { loadRclnodejs } from '../../deploy/links/ros2/rcl-api.js';

function assertSaysWhatToDo(err: unknown): true {
  assert.ok(err instanceof Ros2UnavailableError, String(err));
  assert.match(err.message, /source \/opt\/ros\/\$ROS_DISTRO\/setup\.bash/);
  assert.match(err.message, /npm install-scripts approve rclnodejs && npm rebuild rclnodejs/);
  assert.match(err.message, /npx generate-ros-messages/);
  assert.match(err.message, /Nothing was armed; no command was sent/);
  return true;
}

test('without a sourced ROS 2, rclnodejs is not even imported and the error says what to do', async () => {
  let imported = false;
  await assert.rejects(
    loadRclnodejs({ env: { PATH: '/usr/bin' }, importer: async () => { imported = true; return {}; } }),
    (err) => assertSaysWhatToDo(err) && /ROS_DISTRO and AMENT_PREFIX_PATH not set/.test((err as Error).message),
  );
  assert.equal(imported, false);
});

test('with ROS 2 sourced but rclnodejs not built, the load error is wrapped with the same advice', async () => {
  const env = { ROS_DISTRO: 'jazzy', AMENT_PREFIX_PATH: '/opt/ros/jazzy' };
  await assert.rejects(
    loadRclnodejs({ env, importer: async () => { throw new Error('Native operation failed: Compilation\nlots of gyp output'); } }),
    (err) => assertSaysWhatToDo(err) && /failed to load for ROS jazzy \(Native operation failed: Compilation\)/.test((err as Error).message),
  );
  await assert.rejects(loadRclnodejs({ env, importer: async () => ({ default: { init: 1 } }) }), /lacks init\/Node\/QoS/);
});

test('createRos2Link stops before anything is armed when rclnodejs is absent', async (t) => {
  if (process.env.ROS_DISTRO) {
    t.skip('ROS 2 is sourced here (ROS_DISTRO set): the absent case cannot be observed');
    return;
  }
  const armed: string[] = [];
  await assert.rejects(createRos2Link({ onArmRequest: () => { armed.push('arm'); return { ok: true, message: '' }; } }), assertSaysWhatToDo);
  assert.deepEqual(armed, []);
});
