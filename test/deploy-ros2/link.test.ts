// The ROS 2 link's logic over the rclnodejs test double: conversion, staleness from header
// stamps, the e-stop lock, the Trigger services, QoS choices and QoS mismatch detection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRos2Link, loadRos2Config, type Ros2Config, type Ros2LinkOptions } from '../../deploy/links/ros2/index.js';
import { createImuMessage, createJointStateMessage, fillImuMessage, fillJointStateMessage, MSG } from '../../deploy/links/ros2/messages.js';
import { toRclQos } from '../../deploy/links/ros2/qos.js';
import { createFakeRcl, type FakeBus } from './fake-rclnodejs.js';
import RealQoS from 'rclnodejs/lib/qos.js';
import { loadRobotConfig } from '../../sim/config/robot.js';

const EPOCH_MS = 1_763_700_000_000; // ROS time = host time + EPOCH_MS in these tests
const base = loadRos2Config(fileURLToPath(new URL('../../../configs/deploy/ros2.yaml', import.meta.url)));
const config = (patch: Partial<Ros2Config> = {}): Ros2Config => ({ ...structuredClone(base), connectTimeoutMs: 1000, ...patch });

/** A robot on the fake bus: publishes Imu + JointState stamped on the ROS clock. */
function robotSide(rcl: ReturnType<typeof createFakeRcl>['rcl'], cfg: Ros2Config) {
  const node = new rcl.Node('robot');
  const stateQos = { qos: toRclQos(rcl, cfg.state.imu.qos) };
  const imuPub = node.createPublisher(MSG.imu, cfg.state.imu.topic, stateQos);
  const jsPub = node.createPublisher(MSG.jointState, cfg.state.jointStates.topic, stateQos);
  const estopPub = node.createPublisher(MSG.bool, cfg.estop.input.topic, { qos: toRclQos(rcl, cfg.estop.input.qos) });
  node.spin();
  const imu = createImuMessage('base_link');
  const js = createJointStateMessage(cfg.wheelJoints);
  return {
    node,
    publishState(rosStampMs: number, tiltX = 0.05, wheels: [number, number, number] = [1, 2, 3]) {
      const state = { orientation: [Math.sin(tiltX / 2), 0, 0, Math.cos(tiltX / 2)], gyro: [0.1, 0.2, 0.3], wheelVelocity: wheels };
      imuPub.publish(fillImuMessage(state, rosStampMs, imu));
      jsPub.publish(fillJointStateMessage(state, [0, 0, 0], cfg.wheelSigns, rosStampMs, 0.01, js));
    },
    estop(value: boolean) {
      estopPub.publish({ data: value });
    },
  };
}

async function connected(patch: Partial<Ros2Config> = {}, hooks: Omit<Ros2LinkOptions, 'rcl' | 'config'> = {}) {
  let host = 10_000;
  const fake = createFakeRcl({ rosNowMs: () => EPOCH_MS + host });
  const cfg = config(patch);
  const robot = robotSide(fake.rcl, cfg);
  const logs: string[] = [];
  const link = await createRos2Link({ rcl: fake.rcl, config: cfg, now: () => host, log: (l) => logs.push(l), ...hooks });
  await connectWhilePublishing(link, () => robot.publishState(EPOCH_MS + host - 3));
  return { link, robot, rcl: fake.rcl, bus: fake.bus, cfg, logs, setHost: (ms: number) => (host = ms), host: () => host };
}

/** Like a robot: keep publishing until the link has connected. */
async function connectWhilePublishing(link: { connect(): Promise<void> }, publish: () => void): Promise<void> {
  const timer = setInterval(publish, 2);
  try {
    await link.connect();
  } finally {
    clearInterval(timer);
  }
}

const lastOn = (bus: FakeBus, topic: string) => bus.published(topic).at(-1);
const reliability = (q: unknown) => (q as { reliability: number }).reliability;

test('connect creates the endpoints with the specified QoS: best effort keep-last-1 state and commands, reliable e-stop', async () => {
  const { link, bus, cfg } = await connected();
  const pub = (topic: string) => bus.publishers.find((p) => p.topic === topic && p.node !== bus.nodes[0])!;
  const sub = (topic: string) => bus.subscriptions.find((s) => s.topic === topic)!;
  const { ReliabilityPolicy: R, HistoryPolicy: H, DurabilityPolicy: D } = RealQoS;
  for (const s of [sub(cfg.state.imu.topic), sub(cfg.state.jointStates.topic)]) {
    assert.equal(reliability(s.qos), R.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT);
    assert.equal(s.qos.history, H.RMW_QOS_POLICY_HISTORY_KEEP_LAST);
    assert.equal(s.qos.depth, 1);
  }
  const cmd = pub(cfg.commands.topic);
  assert.equal(String(cmd.typeClass), 'std_msgs/msg/Float64MultiArray');
  assert.equal(reliability(cmd.qos), R.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT);
  assert.equal(cmd.qos.depth, 1);
  for (const e of [pub(cfg.estop.output.topic), sub(cfg.estop.input.topic)]) {
    assert.equal(reliability(e.qos), R.RMW_QOS_POLICY_RELIABILITY_RELIABLE);
    assert.equal(e.qos.durability, D.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL);
  }
  assert.equal(String(sub(cfg.estop.input.topic).typeClass), 'std_msgs/msg/Bool');
  assert.equal(String(pub(cfg.diagnostics.topic).typeClass), 'diagnostic_msgs/msg/DiagnosticArray');
  assert.deepEqual([...bus.services.keys()].sort(), [cfg.services.arm, cfg.services.disarm].sort());
  assert.equal(String(bus.services.get(cfg.services.arm)!.typeClass), 'std_srvs/srv/Trigger');
  await link.close();
});

test('state: Imu + JointState become a TimedSensorState stamped from the headers on the host clock', async () => {
  const { link, robot, setHost } = await connected();
  setHost(20_000);
  const framesBefore = link.health().framesOk;
  robot.publishState(EPOCH_MS + 19_960, 0.2, [4, 5, 6]); // measured 40 ms before now
  const s = link.latestState()!;
  assert.equal(s.stampMs, 19_960);
  assert.ok(Math.abs(s.orientation[0] - Math.sin(0.1)) < 1e-12);
  assert.deepEqual(Array.from(s.gyro), [0.1, 0.2, 0.3]);
  assert.deepEqual(Array.from(s.wheelVelocity), [4, 5, 6]);
  const h = link.health();
  assert.equal(h.ok, true);
  assert.equal(h.framesOk - framesBefore, 2, 'one Imu and one JointState');
  assert.equal(h.silenceMs, 0);
  assert.match(h.detail ?? '', /header delay 40\.00 ms/);
  await link.close();
});

test('staleness: old header stamps make old state; a refused stamp leaves the state to age', async () => {
  const { link, robot, setHost } = await connected();
  setHost(30_000);
  robot.publishState(EPOCH_MS + 29_700); // a robot whose messages arrive 300 ms late
  assert.equal(30_000 - link.latestState()!.stampMs, 300);
  setHost(31_000);
  robot.publishState(EPOCH_MS + 31_500); // from the future: unsynchronized clocks
  assert.equal(link.latestState()!.stampMs, 29_700, 'state not refreshed by an untrustworthy stamp');
  const h = link.health();
  assert.equal(h.framesBad, 2);
  assert.equal(h.silenceMs, 1000);
  assert.match(h.detail ?? '', /in the future: the robot's clock is not synchronized/);
  await link.close();
});

test('the state is as old as its older half', async () => {
  const { link, bus, cfg, setHost } = await connected();
  setHost(40_000);
  const js = createJointStateMessage(cfg.wheelJoints);
  const jsPub = bus.publishers.find((p) => p.topic === cfg.state.jointStates.topic)!;
  jsPub.publish(fillJointStateMessage({ orientation: [0, 0, 0, 1], gyro: [0, 0, 0], wheelVelocity: [0, 0, 0] }, [0, 0, 0], [1, 1, 1], EPOCH_MS + 39_990, 0.01, js));
  // Imu still from connect time (host 10 000 - 3)
  assert.equal(link.latestState()!.stampMs, 9_997);
  await link.close();
});

test('the link starts locked: commands go out as zeros until an explicit arm', async () => {
  const { link, bus, cfg } = await connected();
  assert.equal(link.isLocked(), true);
  assert.equal(lastOn(bus, cfg.estop.output.topic).data, true);
  link.sendCommand(new Float64Array([0.5, -0.5, 0.25]), 1);
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0, 0, 0]);
  link.sendArm();
  assert.equal(link.isLocked(), false);
  assert.equal(lastOn(bus, cfg.estop.output.topic).data, false);
  link.sendCommand(new Float64Array([0.5, -0.5, 5]), 2);
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0.5, -0.5, 1.98], 'clipped to commands.maxEffort');
  await link.close();
});

test('an e-stop message zeroes the command at once, tells the runtime, and latches until an explicit re-arm', async () => {
  const estops: string[] = [];
  const { link, robot, bus, cfg } = await connected({}, { onEstop: (r) => estops.push(r) });
  link.sendArm();
  link.sendCommand(new Float64Array([1, 1, 1]), 1);
  const before = bus.published(cfg.commands.topic).length;
  robot.estop(true);
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0, 0, 0]);
  assert.ok(bus.published(cfg.commands.topic).length > before, 'zero published without waiting for the next tick');
  assert.equal(lastOn(bus, cfg.estop.output.topic).data, true);
  assert.deepEqual(estops, ['e-stop message on the input topic']);
  robot.estop(false); // button released: still locked
  link.sendCommand(new Float64Array([1, 1, 1]), 2);
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0, 0, 0]);
  assert.equal(link.isLocked(), true);
  link.sendArm();
  link.sendCommand(new Float64Array([1, 1, 1]), 3);
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [1, 1, 1]);
  assert.equal(estops.length, 1);
  await link.close();
});

test('re-arm is refused while the e-stop input is asserted', async () => {
  const { link, robot, bus, cfg } = await connected();
  link.sendArm();
  robot.estop(true);
  link.sendArm();
  assert.equal(link.isLocked(), true);
  assert.match(link.health().detail ?? '', /locked: e-stop message/);
  const res = await bus.callService(cfg.services.arm);
  assert.equal(res.success, false);
  assert.match(res.message, /still asserted/);
  await link.close();
});

test('arm Trigger service: asks the runtime hook, and arms only on its ok', async () => {
  let answer = { ok: false, message: 'policy not loaded' };
  let asked = 0;
  const { link, bus, cfg } = await connected({}, { onArmRequest: async () => { asked++; return answer; } });
  let res = await bus.callService(cfg.services.arm);
  assert.deepEqual(res, { success: false, message: 'arm refused by the runtime: policy not loaded' });
  assert.equal(link.isLocked(), true);
  answer = { ok: true, message: 'armed by test' };
  res = await bus.callService(cfg.services.arm);
  assert.deepEqual(res, { success: true, message: 'armed by test' });
  assert.equal(link.isLocked(), false);
  assert.equal(asked, 2);
  await link.close();
});

test('arm service without a runtime hook refuses; disarm service engages the lock and notifies', async () => {
  const estops: string[] = [];
  const { link, bus, cfg } = await connected({}, { onEstop: (r) => estops.push(r) });
  const res = await bus.callService(cfg.services.arm);
  assert.equal(res.success, false);
  assert.match(res.message, /no deploy runtime is attached/);
  link.sendArm();
  const off = await bus.callService(cfg.services.disarm);
  assert.equal(off.success, true);
  assert.equal(link.isLocked(), true);
  assert.deepEqual(estops, ['disarm service called']);
  await link.close();
});

test('a non-finite torque zeroes the command and latches the lock', async () => {
  const estops: string[] = [];
  const { link, bus, cfg } = await connected({}, { onEstop: (r) => estops.push(r) });
  link.sendArm();
  link.sendCommand(new Float64Array([0.1, Number.NaN, 0.1]), 1);
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0, 0, 0]);
  assert.equal(link.isLocked(), true);
  assert.deepEqual(estops, ['non-finite torque command']);
  await link.close();
});

test('runtime sendEstop latches without calling back; close leaves zero command and the lock engaged', async () => {
  const estops: string[] = [];
  const fakeLink = await connected({}, { onEstop: (r) => estops.push(r) });
  const { link, bus, cfg } = fakeLink;
  link.sendArm();
  link.sendCommand(new Float64Array([1, 1, 1]), 1);
  link.sendEstop('tilt cutoff');
  assert.equal(link.lockReason(), 'tilt cutoff');
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0, 0, 0]);
  assert.deepEqual(estops, []);
  link.sendArm();
  link.sendCommand(new Float64Array([1, 1, 1]), 2);
  await link.close();
  assert.deepEqual(Array.from(lastOn(bus, cfg.commands.topic).data), [0, 0, 0]);
  assert.equal(lastOn(bus, cfg.estop.output.topic).data, true);
  assert.equal(bus.shutdownCalls, 1);
  assert.equal(bus.initCalls, 1);
});

test('a silent e-stop input engages the lock when inputTimeoutMs is set', async () => {
  const estops: string[] = [];
  const cfg0 = config();
  const { link, robot, setHost, host } = await connected({ estop: { ...cfg0.estop, inputTimeoutMs: 200 } }, { onEstop: (r) => estops.push(r) });
  link.sendArm();
  assert.equal(link.isLocked(), true, 'no heartbeat heard yet: arming refused');
  robot.estop(false);
  link.sendArm();
  assert.equal(link.isLocked(), false);
  setHost(host() + 150);
  link.sendCommand(new Float64Array([1, 1, 1]), 1);
  assert.equal(link.isLocked(), false);
  setHost(host() + 100);
  link.sendCommand(new Float64Array([1, 1, 1]), 2);
  assert.equal(link.isLocked(), true);
  assert.deepEqual(estops, ['e-stop input silent for more than 200 ms']);
  await link.close();
});

test('late subscribers to the lock state get it at once (transient local)', async () => {
  const { link, rcl, cfg } = await connected();
  const listenerNode = new rcl.Node('late');
  const seen: boolean[] = [];
  listenerNode.createSubscription(MSG.bool, cfg.estop.output.topic, { qos: toRclQos(rcl, cfg.estop.output.qos) }, (m: { data: boolean }) => seen.push(m.data));
  listenerNode.spin();
  assert.deepEqual(seen, [true]);
  await link.close();
});

test('QoS mismatch: a reliable command subscriber (stock forward_command_controller) is reported', async () => {
  const fake = createFakeRcl();
  const cfg = config({ diagnostics: { ...base.diagnostics, rateHz: 50 } });
  const robot = robotSide(fake.rcl, cfg);
  const controller = new fake.rcl.Node('wheel_effort_controller');
  const reliable = new RealQoS(RealQoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, 10, RealQoS.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE);
  const got: unknown[] = [];
  controller.createSubscription(MSG.float64MultiArray, cfg.commands.topic, { qos: reliable }, (m: unknown) => got.push(m));
  controller.spin();
  const logs: string[] = [];
  const link = await createRos2Link({ rcl: fake.rcl, config: cfg, log: (l) => logs.push(l) });
  await connectWhilePublishing(link, () => robot.publishState(fake.bus.rosNowMs()));
  link.sendArm();
  link.sendCommand(new Float64Array([1, 1, 1]), 1);
  assert.equal(got.length, 0, 'best effort cannot reach a reliable subscriber');
  const deadline = Date.now() + 5000;
  while (link.health().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const h = link.health();
  assert.equal(h.ok, false);
  assert.match(h.detail ?? '', /commands: 1 of 1 subscriber\(s\) on \/wheel_effort_controller\/commands cannot receive.*commands\.qos\.reliability: reliable/);
  assert.ok(logs.some((l) => l.includes('QoS incompatible')));
  const diag = fake.bus.published(cfg.diagnostics.topic).at(-1);
  assert.equal(diag.status[0].level, 2);
  await link.close();
});

test('connect fails with the topic names when no robot state arrives', async () => {
  const fake = createFakeRcl();
  const link = await createRos2Link({ rcl: fake.rcl, config: config({ connectTimeoutMs: 50 }), log: () => {} });
  await assert.rejects(link.connect(), /no robot state within 50 ms \(publishers: \/imu_sensor_broadcaster\/imu 0, \/joint_states 0\).*ros2_control/);
  assert.equal(fake.bus.shutdownCalls, 1, 'cleaned up');
  assert.equal(fake.bus.nodes[0].destroyed, true);
});

test("efforts are also clipped to deploy's robot motor.maxTorque when it is lower than commands.maxEffort", async () => {
  const fake = createFakeRcl();
  const cfg = config();
  const robotSideNode = robotSide(fake.rcl, cfg);
  const weakRobot = loadRobotConfig(fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url)));
  weakRobot.motor.maxTorque = 0.5;
  const link = await createRos2Link({ rcl: fake.rcl, config: cfg, robot: weakRobot, rateHz: 100, log: () => {} });
  try {
    await connectWhilePublishing(link, () => robotSideNode.publishState(fake.bus.rosNowMs()));
    link.sendArm();
    link.sendCommand(new Float64Array([1.5, -0.2, -1.5]), 1);
    assert.deepEqual(Array.from(link.lastPublishedCommand()), [0.5, -0.2, -0.5]);
  } finally {
    await link.close();
  }
});
