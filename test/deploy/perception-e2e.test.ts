// Issue 15 end to end: the two halves meet. The committed perceptive policy
// (policies/terrain-perceptive.onnx, made by the real exporter from a PPO run with a height-scan
// encoder) runs under deploy, loaded by deploy's own loader and artifact check, on the lockstep
// sim link whose plant is `--robot configs/robot/ballbot-s1-perception.yaml` (what the CLI builds
// from that flag): the plant renders the height scan, the loop feeds it every tick in the layout
// and shape the exporter wrote, the robot stays up, and the staleness watchdog still e-stops when
// the frames stop (`--inject drop-height-scan@T`). The serial link, which carries no images,
// refuses the policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runDeploy, type DeployOptions } from '../../deploy/index.js';
import { SimClock } from '../../deploy/clock.js';
import { parseFault } from '../../deploy/faults.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { perceptionFeed } from '../../deploy/perception-feed.js';
import { ballbotCaller, PolicyMismatchError } from '../../sim/artifact-check.js';
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import { perceptionArtifactInput, perceptionLayout } from '../../sim/perception/layout.js';
import { copyTicks, isZero, lastJsonLine, spawnDeploy, spyOnExtras, testConfig, WIDE_TIMING_FLAGS, type TickCopy } from './harness.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const POLICY = root('policies/terrain-perceptive.onnx');
const ROBOT_FILE = root('configs/robot/ballbot-s1-perception.yaml');
const robot: RobotConfig = loadRobotConfig(ROBOT_FILE);
const SCAN_HOLD_MS = 60; // the default: 3 periods of the 50 Hz height scan
const SCAN_SIZE = robot.perception!.heightScan!.countX * robot.perception!.heightScan!.countY;

/** `ballbot deploy --link sim --robot ballbot-s1-perception.yaml`, lockstep on a simulated clock. */
async function runPerceptive(o: Partial<DeployOptions> & { seconds: number }) {
  const ticks: TickCopy[] = [];
  const summary = await runDeploy({
    policy: POLICY, link: { kind: 'sim', plantRobot: robot }, config: testConfig(), arm: true,
    lockstep: true, clock: new SimClock(), log: () => {}, onTick: copyTicks(ticks), ...o,
  });
  return { summary, ticks };
}

test('the exporter\'s height-scan input is what deploy feeds: same name, layout and [1, rows, cols] shape', async () => {
  const feed = perceptionFeed(robot, testConfig(), { kind: 'sim', plantRobot: robot });
  assert.deepEqual(feed.inputs.height_scan, perceptionLayout(robot, 'height_scan'));
  const loaded = await OnnxPolicy.load(POLICY, ballbotCaller('deploy', robot, robot.control.rateHz, { inputs: feed.inputs }));
  try {
    assert.deepEqual(loaded.extraInputs.map((i) => i.name), ['height_scan']);
    const written = loaded.extraInputs[0];
    const expected = perceptionArtifactInput(robot, 'height_scan');
    assert.deepEqual(written.shape, expected.shape);
    assert.deepEqual(written.shape, [1, robot.perception!.heightScan!.countY, robot.perception!.heightScan!.countX]);
    assert.deepEqual(written.layout, expected.layout);
  } finally {
    loaded.close();
  }
});

test('terrain-perceptive.onnx on the lockstep sim link with the perception robot: a height scan every tick, upright, no e-stop', async () => {
  const seconds = 5;
  const run = await runPerceptive({ seconds });
  assert.equal(run.summary.policy, `onnx:${POLICY}`);
  assert.deepEqual(run.summary.estops, [], JSON.stringify(run.summary.estops));
  assert.equal(run.summary.fell, false);
  assert.equal(run.summary.finalMode, 'RUNNING');
  assert.ok(run.summary.maxTiltDeg !== null && run.summary.maxTiltDeg < 10, `max tilt ${run.summary.maxTiltDeg} deg`);
  const N = seconds * robot.control.rateHz;
  assert.ok(run.ticks.length >= N - 1, `${run.ticks.length} ticks`);
  // Every tick was fed a height-scan frame no older than its hold.
  for (const t of run.ticks) {
    assert.equal(t.perceptionAgeMs.length, 1);
    assert.ok(Number.isFinite(t.perceptionAgeMs[0]) && t.perceptionAgeMs[0] <= SCAN_HOLD_MS, `tick ${t.tick}: height-scan age ${t.perceptionAgeMs[0]}`);
  }
  const [scan] = run.summary.perception;
  assert.equal(scan.input, 'height_scan');
  assert.ok(Math.abs(scan.frames - seconds * robot.perception!.heightScan!.rateHz) <= 2, `height-scan frames ${scan.frames}`);
});

test('the frames the policy is handed are the plant\'s live height scans, of the artifact\'s size', async () => {
  const inner = await OnnxPolicy.load(POLICY, ballbotCaller('test', robot, robot.control.rateHz, { inputs: perceptionFeed(robot, testConfig(), { kind: 'sim' }).inputs }));
  const frames: Float32Array[] = [];
  const policy = spyOnExtras(inner, (extras) => frames.push(Float32Array.from(extras?.height_scan ?? [])));
  const run = await runPerceptive({ policy, seconds: 2 });
  assert.deepEqual(run.summary.estops, []);
  const ticks = frames.slice(-run.ticks.length); // after deploy's warm-up calls on zero frames
  assert.ok(ticks.length >= 190 && ticks.every((f) => f.length === SCAN_SIZE), `${ticks.length} ticks`);
  // Noise makes each new frame differ: about 100 distinct frames in 2 s at 50 Hz.
  const distinct = new Set(ticks.map((f) => f.join())).size;
  assert.ok(distinct >= 90 && distinct <= 102, `${distinct} distinct height-scan frames`);
});

test('--inject drop-height-scan@2s: the last scan is held up to 60 ms, then a latched perceptionStale e-stop with zero torque', async () => {
  const run = await runPerceptive({ seconds: 3, faults: [parseFault('drop-height-scan@2s')] });
  const e = run.summary.estops;
  assert.equal(e.length, 1, JSON.stringify(e));
  assert.equal(e[0].rule, 'perceptionStale');
  assert.match(e[0].reason, /^perceptionStale: height_scan: newest frame is \d+\.\d ms old \(held at most 60\.0 ms\)$/);
  const fault = 200; // 10 ms ticks, faults count from the first tick
  const after = e[0].atTick - fault;
  assert.ok(after >= 4 && after <= 7, `e-stop ${after} ticks after the drop`);
  const byTick = new Map(run.ticks.map((t) => [t.tick, t]));
  for (let k = fault; k < e[0].atTick; k++) assert.equal(byTick.get(k)!.mode, 'RUNNING', `tick ${k} runs on the held scan`);
  for (const t of run.ticks.filter((t) => t.tick >= e[0].atTick)) assert.ok(isZero(t.torque), `tick ${t.tick} torque ${t.torque}`);
  assert.equal(run.summary.finalMode, 'ESTOP'); // (with zero torque the ballbot then falls: that is what an e-stop means)
});

test('--link serial refuses terrain-perceptive.onnx before anything opens: the serial link carries no images', async () => {
  await assert.rejects(runDeploy({ policy: POLICY, link: { kind: 'serial', port: '/dev/null' }, robot, config: testConfig(), seconds: 1, log: () => {} }), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.deepEqual(err.differences.slice(0, 1), [`input 'height_scan': deploy cannot feed it (it feeds 'obs')`]);
    assert.match(err.message, /the serial link carries no images/);
    return true;
  });
});

test('a simulated plant whose height scan has another shape than the robot config lays out is refused, naming both', async () => {
  const plant: RobotConfig = { ...robot, body: { ...robot.body, mass: robot.body.mass * 1.1 }, perception: { ...robot.perception!, heightScan: { ...robot.perception!.heightScan!, countX: 9 } } };
  await assert.rejects(runDeploy({ policy: POLICY, link: { kind: 'sim', plantRobot: plant }, robot, config: testConfig(), seconds: 1, lockstep: true, clock: new SimClock(), log: () => {} }), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.match(err.message, /renders 'height_scan' as \[11,9\], robot config 'ballbot-s1-perception' lays it out as \[11,11\]/);
    return true;
  });
});

test('CLI: ballbot deploy --robot ballbot-s1-perception.yaml runs it on the sim link; --link serial exits 2 with the reason', async () => {
  const sim = spawnDeploy(['--policy', POLICY, '--link', 'sim', '--robot', ROBOT_FILE, '--arm', '--seconds', '1.5', '--json', ...WIDE_TIMING_FLAGS]);
  assert.equal(await sim.exited, 0, sim.err());
  const summary = lastJsonLine(sim.out());
  assert.deepEqual(summary.estops, []);
  assert.equal(summary.perception[0].input, 'height_scan');
  assert.ok(summary.perception[0].frames >= 50, JSON.stringify(summary.perception));
  const serial = spawnDeploy(['--policy', POLICY, '--link', 'serial', '--port', '/dev/null', '--set', 'robot=../robot/ballbot-s1-perception.yaml', '--seconds', '1']);
  assert.equal(await serial.exited, 2, serial.err());
  assert.match(serial.err(), /input 'height_scan': deploy cannot feed it[\s\S]*serial link carries no images/);
});
