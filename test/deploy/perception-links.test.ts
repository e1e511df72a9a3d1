// Where a perceptive policy's frames come from, end to end through `ballbot deploy`'s code:
// the sim link (requested by kind, so deploy itself asks the plant for the policy's inputs and
// declares them to the one artifact check) records each input's frames on its own MCAP channel;
// the serial link carries no images and refuses a perceptive policy, unless a perception source
// (a perception-only ROS 2 node) is configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { runDeploy, PolicyMismatchError } from '../../deploy/index.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { perceptionFeed } from '../../deploy/perception-feed.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { robotIdentity } from '../../sim/config/robot.js';
import { withPerception } from '../../sim/perception/config.js';
import { perceptionArtifactInput } from '../../sim/perception/layout.js';
import { writeMultiInputPolicy } from '../sim/extra-input-policy.js';
import { readMcap } from './mcap-read.js';
import { robot as blindRobot, spawnDeploy, testConfig } from './harness.js';

const robot = withPerception(blindRobot);

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-percept-link-'));
  const template = writeRandomPolicy({
    robot, rateHz: 100, dir, constant: [0, 0, 0],
    meta: { baseController: { kind: 'lqr', residualScale: 0.05, robotHash: robotIdentity(robot).hash } },
  });
  const inputs = (['depth', 'height_scan'] as const).map((name) => perceptionArtifactInput(robot, name));
  return { dir, policy: writeMultiInputPolicy(template, dir, inputs, 0.5) };
}

test('sim link: deploy renders the policy\'s inputs; each is recorded at its sensor rate on its own MCAP channel with a schema', async () => {
  const { dir, policy } = setup();
  const record = join(dir, 'run.mcap');
  const s = await runDeploy({ policy, link: { kind: 'sim' }, lockstep: true, robot, config: testConfig(), arm: true, seconds: 2, record, log: () => {} });
  assert.deepEqual(s.estops, []);
  assert.equal(s.telemetryDropped, 0);
  const mcap = readMcap(record);
  assert.ok(mcap.complete);
  const depth = mcap.messages.filter((m) => m.topic === '/deploy/perception/depth').map((m) => m.data);
  const scan = mcap.messages.filter((m) => m.topic === '/deploy/perception/height_scan').map((m) => m.data);
  assert.ok(Math.abs(depth.length - 60) <= 2, `${depth.length} depth frames in 2 s at 30 Hz`);
  assert.ok(Math.abs(scan.length - 100) <= 2, `${scan.length} height-scan frames in 2 s at 50 Hz`);
  assert.equal(s.perception[0].frames, depth.length);
  for (const [frames, shape] of [[depth, [24, 32]], [scan, [11, 11]]] as const) {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      assert.deepEqual(f.shape, shape);
      assert.equal(f.data.length, shape[0] * shape[1]);
      if (i > 0) assert.ok(f.stampMs > frames[i - 1].stampMs && f.seq !== frames[i - 1].seq && f.tick >= frames[i - 1].tick);
    }
  }
  // Depth in metres with the sentinel 0: the top row looks at the floor about 4 m away, partly
  // past the 4 m range (0); the bottom row sees the floor near the robot.
  const last = depth[depth.length - 1].data as number[];
  const top = last.slice(0, 32);
  assert.ok(top.some((v) => v === 0) && top.every((v) => v === 0 || (v > 3.5 && v < 4.3)), `row 0: ${top}`);
  const bottom = last.slice(23 * 32).filter((v) => v > 0);
  assert.ok(bottom.length > 25 && bottom.every((v) => v > 0.3 && v < 1.2), `bottom row ${bottom.slice(0, 4)}`);
  // On flat ground the height scan reads about 0 everywhere (noise 5 mm).
  assert.ok((scan[scan.length - 1].data as number[]).every((v) => Math.abs(v) < 0.03));
  const schema = mcap.schemas.get('ballbot.depth') as { properties: Record<string, unknown> };
  assert.ok(schema && 'data' in schema.properties && 'stampMs' in schema.properties && 'shape' in schema.properties);
  assert.ok(mcap.schemas.has('ballbot.height_scan'));
});

test('real-time sim link: the simulated robot\'s thread renders frames and they cross shared memory whole', async () => {
  const { policy } = setup();
  // Wide timing limits and hold: this is about frames arriving, not about a loaded machine's timing.
  const config = testConfig(['perception.holdMs.depth=3000', 'perception.holdMs.height_scan=3000']);
  const s = await runDeploy({ policy, link: { kind: 'sim' }, robot, config, arm: true, seconds: 1.5, log: () => {} });
  assert.deepEqual(s.estops, [], JSON.stringify(s.estops));
  const [depth, scan] = s.perception;
  assert.ok(depth.frames >= 15 && depth.frames <= 47, `depth frames ${depth.frames} in 1.5 s at 30 Hz`);
  assert.ok(scan.frames >= 25 && scan.frames <= 77, `height-scan frames ${scan.frames} in 1.5 s at 50 Hz`);
});

test('serial link: a perceptive policy is refused before anything opens, naming the inputs and what to configure', async () => {
  const { policy } = setup();
  await assert.rejects(runDeploy({ policy, link: { kind: 'serial', port: '/dev/null' }, robot, config: testConfig(), seconds: 1, log: () => {} }), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.match(err.message, /input 'depth': deploy cannot feed it/);
    assert.match(err.message, /input 'height_scan': deploy cannot feed it/);
    assert.match(err.message, /the serial link carries no images .*perception\.source: ros2/);
    return true;
  });
});

test('serial link with perception.source ros2: deploy can feed what the ROS 2 config has topics for, and the artifact check accepts it', async () => {
  const { policy } = setup();
  const cfg = testConfig(['perception.source=ros2']);
  const feed = perceptionFeed(robot, cfg, { kind: 'serial', port: '/dev/null' });
  assert.equal(feed.why, null);
  assert.deepEqual(Object.keys(feed.inputs), ['obs', 'depth', 'height_scan']);
  const loaded = await OnnxPolicy.load(policy, ballbotCaller('deploy', robot, 100, { inputs: feed.inputs }));
  assert.deepEqual(loaded.extraInputs.map((i) => i.name), ['depth', 'height_scan']);
  loaded.close();
  // The sim link feeds what the robot config carries; a blind robot feeds nothing but obs.
  assert.deepEqual(Object.keys(perceptionFeed(blindRobot, testConfig(), { kind: 'sim' }).inputs), ['obs']);
});

test('ballbot deploy --link serial with a perceptive policy exits 2 with the reason', async () => {
  const { dir, policy } = setup();
  writeFileSync(join(dir, 'robot.yaml'), JSON.stringify(robot));
  writeFileSync(join(dir, 'deploy.yaml'), 'robot: robot.yaml\n');
  const run = spawnDeploy(['--policy', policy, '--link', 'serial', '--port', '/dev/null', '--config', join(dir, 'deploy.yaml'), '--seconds', '1']);
  assert.equal(await run.exited, 2, run.err());
  assert.match(run.err(), /serial link carries no images/);
});
