// The whole ROS 2 path in lock-step, with only the transport replaced by the rclnodejs double:
// the real simulator behind the ROS 2 virtual robot, the ROS 2 link, and the LQR baseline
// through the shared observation/action code, as deploy runs it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRos2Link, loadRos2Config, type Ros2RobotLink } from '../../deploy/links/ros2/index.js';
import { MSG } from '../../deploy/links/ros2/messages.js';
import { toRclQos } from '../../deploy/links/ros2/qos.js';
import { Ros2VirtualRobot } from '../../hil/ros2-virtual-robot.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { createLqrController } from '../../sim/lqr.js';
import { actionToTorque, buildObservation, OBS_SIZE } from '../../sim/observation.js';
import { createFakeRcl } from './fake-rclnodejs.js';

const cfg = loadRos2Config(fileURLToPath(new URL('../../../configs/deploy/ros2.yaml', import.meta.url)));
const robot = loadRobotConfig(fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url)));

async function setup() {
  const { rcl, bus } = createFakeRcl();
  const vr = await Ros2VirtualRobot.start({ rcl, config: cfg, robot, seed: 3, initTiltDeg: 2, realtime: false, log: () => {} });
  vr.tick(); // the first physics step is slow (wasm warm-up); keep it out of connect's wait
  const link = await createRos2Link({ rcl, config: { ...cfg, connectTimeoutMs: 20_000 }, log: () => {} });
  const connecting = link.connect();
  while (!link.latestState()) {
    vr.tick();
    await new Promise((r) => setImmediate(r));
  }
  await connecting;
  const operator = new rcl.Node('operator');
  const estopPub = operator.createPublisher(MSG.bool, cfg.estop.input.topic, { qos: toRclQos(rcl, cfg.estop.input.qos) });
  operator.spin();
  return { vr, link, bus, estop: (v: boolean) => estopPub.publish({ data: v }) };
}

/** Deploy's tick, reduced to its data path: state -> observation -> LQR -> torques -> link. */
function controlTicks(vr: Ros2VirtualRobot, link: Ros2RobotLink, ticks: number, onTick?: (i: number) => void) {
  const lqr = createLqrController(robot);
  const obs = new Float32Array(OBS_SIZE), action = new Float32Array(3), prev = new Float32Array(3), torques = new Float64Array(3);
  const command = [0, 0, 0];
  for (let i = 0; i < ticks; i++) {
    onTick?.(i);
    vr.tick();
    const state = link.latestState()!;
    buildObservation(state, prev, command, obs);
    lqr.act(obs, action);
    prev.set(action);
    actionToTorque(action, robot.motor.maxTorque, torques);
    link.sendCommand(torques, i);
  }
}

test('over the ROS 2 topics the LQR keeps the simulated robot up, and an e-stop message zeroes its torque', async () => {
  const { vr, link, estop } = await setup();
  try {
    estop(false);
    link.sendArm();
    assert.equal(link.isLocked(), false);
    const estopTick = 300; // 3 s at 100 Hz
    controlTicks(vr, link, 400, (i) => { if (i === estopTick) estop(true); });
    const r = vr.report;
    assert.ok(r.commandsReceived >= 400, `commands reached the robot (${r.commandsReceived})`);
    assert.ok(r.maxAbsTorque > 0.01, 'the controller was actually driving the wheels');
    assert.ok(r.estopAtS !== null && r.estopAtS > 2.9, `the robot saw the lock engage (at ${r.estopAtS})`);
    assert.ok(r.fellAtS === null || r.fellAtS > r.estopAtS!, `stayed up until the e-stop (fell at ${r.fellAtS})`);
    assert.ok(r.maxTiltDegBeforeEstop < 5, `balanced from 2 deg: max tilt ${r.maxTiltDegBeforeEstop.toFixed(2)} deg before the e-stop`);
    assert.equal(r.maxAbsTorqueAfterEstop, 0, 'no torque after the e-stop');
    assert.deepEqual(Array.from(link.lastPublishedCommand()), [0, 0, 0]);
  } finally {
    await link.close();
    await vr.close();
  }
});

test('without arming, the same path sends zero torque and the robot falls (the check above can fail)', async () => {
  const { vr, link } = await setup();
  try {
    controlTicks(vr, link, 200);
    assert.equal(vr.report.maxAbsTorque, 0);
    assert.ok(vr.report.fellAtS !== null, 'an unbalanced ballbot falls within 2 s from 2 deg');
  } finally {
    await link.close();
    await vr.close();
  }
});

test('the virtual robot zeroes torque when commands stop (its watchdog)', async () => {
  const { vr, link } = await setup();
  try {
    link.sendArm();
    link.sendCommand(new Float64Array([0.3, 0.3, 0.3]), 0);
    vr.tick();
    const started = performance.now();
    while (performance.now() - started < 120) await new Promise((r) => setTimeout(r, 20));
    vr.tick();
    assert.equal(vr.report.watchdogTicks, 1);
  } finally {
    await link.close();
    await vr.close();
  }
});
