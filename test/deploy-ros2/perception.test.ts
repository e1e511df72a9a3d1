// Perception over ROS 2 (test double for rclnodejs, as the other ROS 2 tests): sensor_msgs/Image
// depth in 32FC1 metres and 16UC1 millimetres, either byte order, NaN / 0 / out of range to the
// dropout sentinel 0; a row-major Float32MultiArray height map; wrong sizes, encodings and
// strides refused with the reason, leaving the last good frame; the ROS 2 link and a
// perception-only node (beside a serial link) deliver frames stamped from the header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRos2Link, loadRos2Config, type Ros2Config } from '../../deploy/links/ros2/index.js';
import { createRos2PerceptionNode } from '../../deploy/links/ros2/perception-node.js';
import { createImuMessage, createJointStateMessage, fillImuMessage, fillJointStateMessage, MSG, readDepthImage, readHeightMap, type Float32MultiArrayMsg, type ImageMsg } from '../../deploy/links/ros2/messages.js';
import { toRclQos } from '../../deploy/links/ros2/qos.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { withPerception } from '../../sim/perception/config.js';
import { createFakeRcl } from './fake-rclnodejs.js';

const EPOCH_MS = 1_763_700_000_000;
const base = loadRos2Config(fileURLToPath(new URL('../../../configs/deploy/ros2.yaml', import.meta.url)));
const robot = withPerception(loadRobotConfig(fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url))), {
  depthCamera: { width: 3, height: 2, minRange: 0.1, maxRange: 4 }, heightScan: { countX: 3, countY: 2 },
});
const FORMAT = { width: 3, height: 2, minRange: 0.1, maxRange: 4 };

function image(encoding: '32FC1' | '16UC1', values: number[], o: { bigEndian?: boolean; padding?: number; width?: number; height?: number } = {}): ImageMsg {
  const width = o.width ?? 3, height = o.height ?? 2, bpp = encoding === '32FC1' ? 4 : 2;
  const step = width * bpp + (o.padding ?? 0);
  const data = new Uint8Array(step * height);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => {
    const at = Math.floor(i / width) * step + (i % width) * bpp;
    if (bpp === 4) view.setFloat32(at, v, !o.bigEndian); else view.setUint16(at, v, !o.bigEndian);
  });
  return { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera_depth_optical_frame' }, height, width, encoding, is_bigendian: o.bigEndian ? 1 : 0, step, data };
}

const heightMap = (rows: number, cols: number, values: number[], strides = [rows * cols, cols], offset = 0): Float32MultiArrayMsg => ({
  layout: { dim: [{ label: 'rows', size: rows, stride: strides[0] }, { label: 'cols', size: cols, stride: strides[1] }], data_offset: offset },
  data: Float32Array.from([...new Array(offset).fill(99), ...values]),
});

test('depth Image: 32FC1 metres (either byte order, row padding), NaN / Inf / 0 / out of range -> 0', () => {
  const out = new Float32Array(6);
  for (const bigEndian of [false, true]) {
    assert.equal(readDepthImage(image('32FC1', [1.5, NaN, 0, 5, Infinity, 0.05], { bigEndian, padding: 4 }), FORMAT, out), null);
    assert.deepEqual(Array.from(out), [1.5, 0, 0, 0, 0, 0]);
    assert.equal(readDepthImage(image('32FC1', [0.1, 2.25, 4, 3, 0.5, 1], { bigEndian }), FORMAT, out), null);
    assert.deepEqual(Array.from(out), [0.1, 2.25, 4, 3, 0.5, 1].map(Math.fround));
  }
});

test('depth Image: 16UC1 millimetres -> metres; 0 (invalid in 16UC1) and beyond maxRange -> 0', () => {
  const out = new Float32Array(6);
  assert.equal(readDepthImage(image('16UC1', [1500, 0, 65535, 100, 4000, 99]), FORMAT, out), null);
  assert.deepEqual(Array.from(out), [1.5, 0, 0, 0.1, 4, 0].map(Math.fround));
  assert.equal(readDepthImage(image('16UC1', [250, 250, 250, 250, 250, 250], { bigEndian: true }), FORMAT, out), null);
  assert.ok(out.every((v) => v === Math.fround(0.25)));
});

test('depth Image: wrong size, encoding or short data is refused with the reason, out untouched', () => {
  const out = new Float32Array(6).fill(7);
  assert.match(readDepthImage(image('32FC1', [], { width: 4 }), FORMAT, out)!, /depth image is 4x2, the policy's depth input is 3x2 \(robot config perception\.depthCamera\)/);
  assert.match(readDepthImage({ ...image('32FC1', []), encoding: 'rgb8' }, FORMAT, out)!, /encoding 'rgb8' is not supported \(32FC1 in metres or 16UC1 in millimetres\)/);
  assert.match(readDepthImage({ ...image('32FC1', []), data: new Uint8Array(10) }, FORMAT, out)!, /data is too short: step 12, 10 bytes/);
  assert.ok(out.every((v) => v === 7));
});

test('height map Float32MultiArray: row-major [rows][cols] from data_offset; NaN -> 0; column-major strides refused', () => {
  const out = new Float32Array(6);
  assert.equal(readHeightMap(heightMap(2, 3, [0.01, -0.02, NaN, 0.04, 0.05, 0.06], undefined, 2), 2, 3, out), null);
  assert.deepEqual(Array.from(out), [0.01, -0.02, 0, 0.04, 0.05, 0.06].map(Math.fround));
  assert.match(readHeightMap(heightMap(3, 2, new Array(6).fill(0)), 2, 3, out)!, /layout is \[rows:3, cols:2\], the policy's height_scan input is \[rows:2, cols:3\]/);
  assert.match(readHeightMap(heightMap(2, 3, new Array(6).fill(0), [3, 1]), 2, 3, out)!, /strides are \[3, 1\], a row-major \[2, 3\] array has \[6, 3\] \(column-major maps, as grid_map's, must be transposed\)/);
  assert.match(readHeightMap({ ...heightMap(2, 3, [1]), data: new Float32Array(5) }, 2, 3, out)!, /has 5 values, needs 6/);
});

/** A robot-side node publishing depth images and height maps on the config's topics. */
function cameraSide(rcl: ReturnType<typeof createFakeRcl>['rcl'], cfg: Ros2Config) {
  const node = new rcl.Node('camera');
  const p = cfg.perception!;
  const depthPub = node.createPublisher(MSG.image, p.depth!.topic, { qos: toRclQos(rcl, p.depth!.qos) });
  const mapPub = node.createPublisher(MSG.float32MultiArray, p.heightScan!.topic, { qos: toRclQos(rcl, p.heightScan!.qos) });
  node.spin();
  return {
    depth(rosStampMs: number, mm: number[]) {
      const msg = image('16UC1', mm);
      msg.header.stamp = { sec: Math.floor(rosStampMs / 1000), nanosec: Math.round((rosStampMs % 1000) * 1e6) };
      depthPub.publish(msg);
    },
    map(values: number[]) { mapPub.publish(heightMap(2, 3, values)); },
  };
}

test('perception-only ROS 2 node (beside a serial link): frames stamped from the header (depth) and on arrival (map)', async () => {
  let host = 5_000;
  const fake = createFakeRcl({ rosNowMs: () => EPOCH_MS + host });
  const cfg = structuredClone(base);
  const camera = cameraSide(fake.rcl, cfg);
  const logs: string[] = [];
  const node = await createRos2PerceptionNode({ config: cfg, robot, rcl: fake.rcl, now: () => host, log: (l) => logs.push(l) });
  await node.connect();
  try {
    assert.deepEqual(node.source.inputs, ['depth', 'height_scan']);
    assert.equal(node.source.latestFrame('depth'), null);
    camera.depth(EPOCH_MS + host - 12, [1000, 2000, 0, 3000, 500, 250]);
    host += 3;
    camera.map([0, 0.01, 0.02, 0.03, 0.04, 0.05]);
    const d = node.source.latestFrame('depth')!;
    assert.ok(Math.abs(d.stampMs - (5_000 - 12)) < 1e-6, `depth stamp ${d.stampMs}: the header's capture time on the host clock`);
    assert.deepEqual(Array.from(d.data), [1, 2, 0, 3, 0.5, 0.25]);
    const m = node.source.latestFrame('height_scan')!;
    assert.equal(m.stampMs, 5_003);
    assert.equal(m.data[5], Math.fround(0.05));
    // A refused frame (wrong size) leaves the last good one, which ages; it is counted and logged once.
    const seq = d.seq;
    fake.bus.publishers.find((p) => p.topic === cfg.perception!.depth!.topic)!.publish(image('16UC1', [], { width: 4 }));
    assert.equal(node.source.latestFrame('depth')!.seq, seq);
    assert.deepEqual(node.source.counters(), { depth: { received: 1, refused: 1 }, height_scan: { received: 1, refused: 0 } });
    assert.ok(logs.some((l) => /refused depth frame: depth image is 4x2/.test(l)), logs.join('\n'));
  } finally {
    await node.close();
  }
});

test('the ROS 2 link subscribes to the perception topics for the robot\'s sensors and delivers frames; a blind robot gets none', async () => {
  let host = 10_000;
  const fake = createFakeRcl({ rosNowMs: () => EPOCH_MS + host });
  const cfg = { ...structuredClone(base), connectTimeoutMs: 1000 };
  const camera = cameraSide(fake.rcl, cfg);
  const robotNode = new fake.rcl.Node('robot');
  const stateQos = { qos: toRclQos(fake.rcl, cfg.state.imu.qos) };
  const imuPub = robotNode.createPublisher(MSG.imu, cfg.state.imu.topic, stateQos);
  const jsPub = robotNode.createPublisher(MSG.jointState, cfg.state.jointStates.topic, stateQos);
  robotNode.spin();
  const state = { orientation: [0, 0, 0, 1], gyro: [0, 0, 0], wheelVelocity: [0, 0, 0] };
  const imu = createImuMessage('base_link'), js = createJointStateMessage(cfg.wheelJoints);
  const link = await createRos2Link({ rcl: fake.rcl, config: cfg, robot, now: () => host, log: () => {} });
  const blindCfg = { ...cfg, node: { ...cfg.node, name: 'blind' }, services: { arm: '/blind/arm', disarm: '/blind/disarm' } };
  const blind = await createRos2Link({ rcl: fake.rcl, config: blindCfg, now: () => host, log: () => {} });
  const timer = setInterval(() => { imuPub.publish(fillImuMessage(state, EPOCH_MS + host, imu)); jsPub.publish(fillJointStateMessage(state, [0, 0, 0], cfg.wheelSigns, EPOCH_MS + host, 0.01, js)); }, 2);
  try {
    await Promise.all([link.connect(), blind.connect()]);
    assert.equal(blind.perception, null);
    assert.deepEqual(link.perception!.inputs, ['depth', 'height_scan']);
    camera.depth(EPOCH_MS + host - 5, [1000, 1000, 1000, 1000, 1000, 1000]);
    assert.deepEqual(Array.from(link.perception!.latestFrame('depth')!.data), [1, 1, 1, 1, 1, 1]);
    assert.equal(link.perception!.latestFrame('depth')!.stampMs, host - 5);
    // A refused frame shows in the link's health detail.
    fake.bus.publishers.find((p) => p.topic === cfg.perception!.depth!.topic)!.publish({ ...image('16UC1', []), encoding: 'mono8' });
    assert.match(link.health().detail ?? '', /depth: depth image encoding 'mono8' is not supported/);
    // ... and in /diagnostics (published with every e-stop, and at diagnostics.rateHz).
    link.sendEstop('test');
    const diag = fake.bus.published(cfg.diagnostics.topic).at(-1)!.status[0].values as { key: string; value: string }[];
    assert.deepEqual(diag.filter((v) => v.key.startsWith('depth_')), [{ key: 'depth_received', value: '1' }, { key: 'depth_refused', value: '1' }]);
  } finally {
    clearInterval(timer);
    await link.close();
    await blind.close();
  }
});

test('the ROS 2 virtual robot publishes what the sim\'s sensors see; the link reads back the same frames (32FC1 NaN <-> 0)', async () => {
  const { Ros2VirtualRobot } = await import('../../hil/ros2-virtual-robot.js');
  const { createPlant } = await import('../../sim/plant.js');
  const perceptive = withPerception(loadRobotConfig(fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url))));
  const fake = createFakeRcl();
  const plant = await createPlant({ robot: perceptive, seed: 2, perception: { depth: true, heightScan: true } });
  const vr = await Ros2VirtualRobot.start({ rcl: fake.rcl, config: base, robot: perceptive, plant, realtime: false, log: () => {} });
  vr.tick();
  const link = await createRos2Link({ rcl: fake.rcl, config: { ...base, connectTimeoutMs: 20_000 }, robot: perceptive, log: () => {} });
  const connecting = link.connect();
  while (!link.latestState()) { vr.tick(); await new Promise((r) => setImmediate(r)); }
  await connecting;
  try {
    // Best effort, no history: the link sees frames published after it subscribed.
    while (!link.perception!.latestFrame('depth') || !link.perception!.latestFrame('height_scan')) vr.tick();
    let depthFrames = 0, lastSeq = link.perception!.latestFrame('depth')!.seq;
    for (let k = 0; k < 30; k++) {
      vr.tick();
      const got = link.perception!.latestFrame('depth')!;
      if (got.seq !== lastSeq) { depthFrames++; lastSeq = got.seq; }
      // The frame the plant's sensor delivers now, through 32FC1 and back: identical, missing pixels included.
      assert.deepEqual(Array.from(got.data), Array.from(plant.perceptionFrame!('depth')!.data));
      assert.deepEqual(Array.from(link.perception!.latestFrame('height_scan')!.data), Array.from(plant.perceptionFrame!('height_scan')!.data));
    }
    assert.ok(depthFrames >= 8 && depthFrames <= 10, `${depthFrames} depth frames in 30 ticks at 30 Hz / 100 Hz`);
    const depth = link.perception!.latestFrame('depth')!.data;
    assert.ok(depth.some((v) => v === 0) && depth.some((v) => v > 0.3), 'some pixels miss (sent as NaN), most see the floor');
  } finally {
    await link.close();
    await vr.close();
  }
});
