import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createEffortCommand, createImuMessage, createJointStateMessage, fillImuMessage, fillJointStateMessage,
  msToStamp, readEffortCommand, readImu, readWheelVelocities, stampToMs, writeEffortCommand, type JointStateMsg,
} from '../../deploy/links/ros2/messages.js';
import type { SensorState } from '../../sim/observation.js';

const blankState = (): SensorState => ({ orientation: new Float64Array(4), gyro: new Float64Array(3), wheelVelocity: new Float64Array(3) });
const stamp = { sec: 1_700_000_000, nanosec: 250_000_000 };
const header = { stamp, frame_id: 'imu_link' };

function imu(q: [number, number, number, number], w: [number, number, number]) {
  const msg = createImuMessage('imu_link');
  msg.header.stamp = { ...stamp };
  [msg.orientation.x, msg.orientation.y, msg.orientation.z, msg.orientation.w] = q;
  [msg.angular_velocity.x, msg.angular_velocity.y, msg.angular_velocity.z] = w;
  return msg;
}

test('Imu -> orientation (x, y, z, w) and body-frame gyro, renormalized', () => {
  const s = blankState();
  const half = (10 * Math.PI) / 180 / 2; // 10 deg about x
  assert.equal(readImu(imu([Math.sin(half) * 1.02, 0, 0, Math.cos(half) * 1.02], [0.1, -0.2, 0.3]), s), null);
  assert.ok(Math.abs(s.orientation[0] - Math.sin(half)) < 1e-12);
  assert.ok(Math.abs(s.orientation[3] - Math.cos(half)) < 1e-12);
  assert.deepEqual(Array.from(s.gyro), [0.1, -0.2, 0.3]);
});

test('Imu without orientation (REP 145 covariance -1) or with a broken quaternion is refused and leaves state alone', () => {
  const s = blankState();
  s.orientation[3] = 1;
  const noOrientation = imu([0, 0, 0, 1], [1, 1, 1]);
  noOrientation.orientation_covariance[0] = -1;
  assert.match(readImu(noOrientation, s) ?? '', /no orientation.*imu_filter_madgwick/);
  assert.match(readImu(imu([0, 0, 0, 0], [0, 0, 0]), s) ?? '', /not a unit quaternion/);
  assert.match(readImu(imu([0, 0, 0, 1], [Number.NaN, 0, 0]), s) ?? '', /not finite/);
  assert.deepEqual(Array.from(s.orientation), [0, 0, 0, 1]);
  assert.deepEqual(Array.from(s.gyro), [0, 0, 0]);
});

test('JointState -> wheel velocities by joint name, any order, extra joints, signs', () => {
  const wheels = ['w0', 'w1', 'w2'];
  const cache = new Int32Array([-1, -1, -1]);
  const out = new Float64Array(3);
  const msg: JointStateMsg = { header, name: ['arm', 'w2', 'w0', 'w1'], position: [], velocity: new Float64Array([9, 3, 1, 2]), effort: [] };
  assert.equal(readWheelVelocities(msg, wheels, [1, -1, 1], cache, out), null);
  assert.deepEqual(Array.from(out), [1, -2, 3]);
  assert.deepEqual(Array.from(cache), [2, 3, 1]);
  // The publisher reorders its joints: the cache is rebuilt, not trusted.
  const reordered: JointStateMsg = { ...msg, name: ['w0', 'w1', 'w2'], velocity: [4, 5, 6] };
  assert.equal(readWheelVelocities(reordered, wheels, [1, 1, 1], cache, out), null);
  assert.deepEqual(Array.from(out), [4, 5, 6]);
});

test('JointState missing a wheel joint, its velocity or with NaN is refused with the joint named', () => {
  const out = new Float64Array([7, 7, 7]);
  const cache = new Int32Array([-1, -1, -1]);
  const missing: JointStateMsg = { header, name: ['w0', 'w1'], position: [], velocity: [1, 2], effort: [] };
  assert.match(readWheelVelocities(missing, ['w0', 'w1', 'w2'], [1, 1, 1], cache, out) ?? '', /no joint 'w2' \(has: w0, w1\)/);
  const noVel: JointStateMsg = { header, name: ['w0', 'w1', 'w2'], position: [0, 0, 0], velocity: [], effort: [] };
  assert.match(readWheelVelocities(noVel, ['w0', 'w1', 'w2'], [1, 1, 1], cache, out) ?? '', /no velocity for 'w0'/);
  const nan: JointStateMsg = { header, name: ['w0', 'w1', 'w2'], position: [], velocity: [0, Number.NaN, 0], effort: [] };
  assert.match(readWheelVelocities(nan, ['w0', 'w1', 'w2'], [1, 1, 1], cache, out) ?? '', /'w1' is not finite/);
});

test('torques -> Float64MultiArray in the controller joint order, signed and clipped', () => {
  const msg = createEffortCommand(3);
  assert.deepEqual(msg.layout, { dim: [{ label: 'wheel_effort', size: 3, stride: 3 }], data_offset: 0 });
  // model wheel 0 -> controller slot 2, wheel 1 -> 0, wheel 2 -> 1
  const ok = writeEffortCommand(new Float64Array([0.5, -3, 1]), new Int32Array([2, 0, 1]), [1, 1, -1], 1.98, msg.data);
  assert.equal(ok, true);
  assert.deepEqual(Array.from(msg.data), [-1.98, -1, 0.5]);
  // and back on the robot side
  const back = new Float64Array(3);
  assert.equal(readEffortCommand(msg, new Int32Array([2, 0, 1]), [1, 1, -1], back), null);
  assert.deepEqual(Array.from(back), [0.5, -1.98, 1]);
});

test('a non-finite torque zeroes the whole command', () => {
  const data = new Float64Array([1, 1, 1]);
  assert.equal(writeEffortCommand([0.2, Number.NaN, 0.1], new Int32Array([0, 1, 2]), [1, 1, 1], 2, data), false);
  assert.deepEqual(Array.from(data), [0, 0, 0]);
  assert.equal(writeEffortCommand([0.2, Number.POSITIVE_INFINITY, 0.1], new Int32Array([0, 1, 2]), [1, 1, 1], 2, data), false);
});

test('the robot side ignores commands of the wrong size, as forward_command_controller does', () => {
  const out = new Float64Array([5, 5, 5]);
  assert.match(readEffortCommand({ layout: { dim: [], data_offset: 0 }, data: [1, 2] }, new Int32Array([0, 1, 2]), [1, 1, 1], out) ?? '', /2 values, expected 3/);
  assert.deepEqual(Array.from(out), [5, 5, 5]);
});

test('stamps: builtin_interfaces/Time <-> ms round trip keeps sub-microsecond precision', () => {
  const t = { sec: 0, nanosec: 0 };
  const ms = 1_763_700_000_123.4567;
  msToStamp(ms, t);
  assert.equal(t.sec, 1_763_700_000);
  assert.ok(t.nanosec >= 0 && t.nanosec < 1e9);
  assert.ok(Math.abs(stampToMs(t) - ms) < 1e-3);
  assert.equal(stampToMs({ sec: 2, nanosec: 500_000_000 }), 2500);
});

test('virtual robot messages carry the simulated state with header stamps', () => {
  const state: SensorState = { orientation: [0.1, 0.2, 0.3, 0.9], gyro: [1, 2, 3], wheelVelocity: [4, -5, 6] };
  const m = fillImuMessage(state, 1500.25, createImuMessage('base_link'));
  assert.deepEqual(m.header.stamp, { sec: 1, nanosec: 500_250_000 });
  assert.deepEqual(m.orientation, { x: 0.1, y: 0.2, z: 0.3, w: 0.9 });
  assert.deepEqual(m.angular_velocity, { x: 1, y: 2, z: 3 });
  assert.equal(m.linear_acceleration_covariance[0], -1, 'no accelerometer in the sim: marked as absent');
  const js = createJointStateMessage(['a', 'b', 'c']);
  fillJointStateMessage(state, [0.1, 0.2, 0.3], [1, -1, 1], 2000, 0.01, js);
  fillJointStateMessage(state, [0.1, 0.2, 0.3], [1, -1, 1], 2010, 0.01, js);
  assert.deepEqual(js.name, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(js.velocity), [4, 5, 6]);
  assert.deepEqual(Array.from(js.effort), [0.1, -0.2, 0.3]);
  assert.ok(Math.abs(js.position[1] - 0.1) < 1e-12, 'position integrates velocity');
  // And the link's reader reads back what the virtual robot wrote.
  const s = blankState();
  assert.equal(readImu(m, s), null);
  assert.equal(readWheelVelocities(js, ['a', 'b', 'c'], [1, -1, 1], new Int32Array([-1, -1, -1]), s.wheelVelocity), null);
  assert.deepEqual(Array.from(s.wheelVelocity), [4, -5, 6]);
});
