// A perceptive policy in deploy, in lockstep on the simulated clock: the sim link renders the
// depth image and the height scan from its plant (the training env's sensors), the loop feeds
// the newest frame of each every tick, and the per-input staleness watchdog holds a late frame
// up to holdMs, then sends zero torque and latches the e-stop (fault injection drops or delays
// frames). The policy is a residual on the LQR whose network reads the extra inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { parseFault } from '../../deploy/faults.js';
import type { Policy } from '../../deploy/policy.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { OBSERVATION_LAYOUT } from '../../sim/observation.js';
import { robotIdentity } from '../../sim/config/robot.js';
import { withPerception } from '../../sim/perception/config.js';
import { perceptionArtifactInput, perceptionLayout } from '../../sim/perception/layout.js';
import { writeMultiInputPolicy } from '../sim/extra-input-policy.js';
import { isZero, robot as blindRobot, runOnSim, spyOnExtras, startOnSim, testConfig } from './harness.js';

const robot = withPerception(blindRobot);
const BOTH = { depth: true, heightScan: true };

function perceptivePolicy(inputs: ('depth' | 'height_scan')[] = ['depth', 'height_scan']): string {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-percept-'));
  const template = writeRandomPolicy({
    robot, rateHz: robot.control.rateHz, dir, constant: [0, 0, 0],
    meta: { baseController: { kind: 'lqr', residualScale: 0.05, robotHash: robotIdentity(robot).hash } },
  });
  return writeMultiInputPolicy(template, dir, inputs.map((name) => perceptionArtifactInput(robot, name)), 0.5);
}

/** The loaded policy, recording the extras it was given each tick (first value and length). */
async function spyPolicy(file: string): Promise<{ policy: Policy; seen: { depth0: number; depthLen: number; scanLen: number }[] }> {
  const inner = await OnnxPolicy.load(file, ballbotCaller('test', robot, robot.control.rateHz, {
    inputs: { obs: OBSERVATION_LAYOUT, depth: perceptionLayout(robot, 'depth'), height_scan: perceptionLayout(robot, 'height_scan') },
  }));
  const seen: { depth0: number; depthLen: number; scanLen: number }[] = [];
  const policy = spyOnExtras(inner, (extras) => {
    seen.push({ depth0: extras?.depth?.[400] ?? NaN, depthLen: extras?.depth?.length ?? 0, scanLen: extras?.height_scan?.length ?? 0 });
  });
  return { policy, seen };
}

const HOLD_DEPTH_MS = 100; // the default: 3 periods of the 30 Hz camera

test('perceptive policy on the lockstep sim link: fresh frames of both inputs every tick, no e-stop', async () => {
  const { policy, seen } = await spyPolicy(perceptivePolicy());
  const run = await runOnSim({ policy, robot, perception: BOTH, config: testConfig(), arm: true, seconds: 3 });
  assert.deepEqual(run.summary.estops, [], JSON.stringify(run.summary.estops));
  assert.equal(run.summary.fell, false);
  const [depth, scan] = run.summary.perception;
  assert.equal(depth.input, 'depth');
  assert.equal(depth.holdMs, HOLD_DEPTH_MS);
  assert.equal(scan.holdMs, 60); // 3 x 20 ms at 50 Hz
  // 3 s at 30 Hz and 50 Hz: one new frame per sensor period.
  assert.ok(Math.abs(depth.frames - 90) <= 2, `depth frames ${depth.frames}`);
  assert.ok(Math.abs(scan.frames - 150) <= 2, `height-scan frames ${scan.frames}`);
  // Age = latency (2 and 1 ticks) + time since the last render: at most 2 + 4 and 1 + 2 ticks.
  assert.ok(depth.maxAgeMs! <= 60 && scan.maxAgeMs! <= 30, JSON.stringify(run.summary.perception));
  // deploy warms the policy up with 300 calls on zero frames before the clock starts.
  const ticks = seen.slice(300);
  assert.ok(ticks.length > 250 && ticks.every((s) => s.depthLen === 768 && s.scanLen === 121));
  // The camera sees the ground: a mid-image pixel is a depth in range but for its 1 % dropouts,
  // and it changes from frame to frame (noise), so the frames fed are live.
  const valid = ticks.filter((s) => s.depth0 > 0.1 && s.depth0 < 4);
  assert.ok(valid.length >= 0.9 * ticks.length, `${valid.length} of ${ticks.length} ticks see the ground at depth[400]`);
  assert.ok(new Set(valid.map((s) => s.depth0)).size >= 60, 'new depth frames arrive');
});

test('drop-depth: the last depth frame is held up to holdMs, then zero torque and a latched perceptionStale e-stop', async () => {
  const { policy } = await spyPolicy(perceptivePolicy());
  const run = await runOnSim({ policy, robot, perception: BOTH, config: testConfig(), arm: true, seconds: 3, faults: [parseFault('drop-depth@1.5s')] });
  const e = run.summary.estops;
  assert.equal(e.length, 1, JSON.stringify(e));
  assert.equal(e[0].rule, 'perceptionStale');
  assert.match(e[0].reason, /^perceptionStale: depth: newest frame is 1\d\d\.\d ms old \(held at most 100\.0 ms\)$/);
  const at = e[0].atTick;
  const fault = 150; // ticks are 10 ms; faults count from the first tick
  const byTick = new Map(run.ticks.map((t) => [t.tick, t]));
  // Held: the last frame (this old at the fault) is fed until it is more than holdMs old, so the
  // e-stop comes at the first 10 ms tick past its capture + 100 ms.
  const ageAtFault = byTick.get(fault)!.perceptionAgeMs[0];
  assert.ok(ageAtFault >= 20 && ageAtFault <= 60, `age at the fault ${ageAtFault}`);
  assert.equal(at, fault + (HOLD_DEPTH_MS - ageAtFault) / 10 + 1, `e-stop ${at - fault} ticks after the fault`);
  for (let k = fault; k < at; k++) {
    assert.equal(byTick.get(k)!.mode, 'RUNNING', `tick ${k} still runs on the held frame`);
    assert.ok(byTick.get(k)!.perceptionAgeMs[0] <= HOLD_DEPTH_MS);
  }
  // The e-stop tick is the first whose depth frame is older than holdMs, by less than one tick.
  const age = byTick.get(at)!.perceptionAgeMs[0];
  assert.ok(age > HOLD_DEPTH_MS && age <= HOLD_DEPTH_MS + 10, `age ${age}`);
  assert.ok(byTick.get(at - 1)!.perceptionAgeMs[0] <= HOLD_DEPTH_MS);
  // Zero torque from the e-stop tick on, and the robot was told.
  for (const t of run.ticks.filter((t) => t.tick >= at)) assert.ok(isZero(t.torque), `tick ${t.tick} torque ${t.torque}`);
  assert.ok(run.link.sent.some((m) => m.kind === 'estop' && m.rule === 'perceptionStale'));
  assert.equal(run.summary.finalMode, 'ESTOP');
});

test('delay-height-scan: frames 20 ms late are held and tolerated; 60 ms late exceed the 60 ms hold and e-stop', async () => {
  const file = perceptivePolicy();
  const late = async (ms: number) => {
    const { policy } = await spyPolicy(file);
    return runOnSim({ policy, robot, perception: BOTH, config: testConfig(), arm: true, seconds: 2.5, faults: [parseFault(`delay-height-scan@1s:${ms}`)] });
  };
  const tolerated = await late(20);
  assert.deepEqual(tolerated.summary.estops, []);
  const scan = tolerated.summary.perception[1];
  assert.ok(scan.maxAgeMs! > 30 && scan.maxAgeMs! <= 60, `delayed frames are older but within the hold: ${scan.maxAgeMs}`);
  const tripped = await late(60);
  assert.equal(tripped.summary.estops.length, 1);
  assert.match(tripped.summary.estops[0].reason, /^perceptionStale: height_scan: /);
  const after = tripped.summary.estops[0].atTick - 100;
  assert.ok(after >= 1 && after <= 8, `e-stop ${after} ticks after the delay began`);
});

test('holdMs comes from the deploy config per input; shorter than one sensor period is refused naming the key', async () => {
  const { policy } = await spyPolicy(perceptivePolicy());
  const run = await runOnSim({ policy, robot, perception: BOTH, config: testConfig(['perception.holdMs.depth=200']), arm: true, seconds: 0.5 });
  assert.equal(run.summary.perception[0].holdMs, 200);
  const again = await spyPolicy(perceptivePolicy());
  await assert.rejects(runOnSim({ policy: again.policy, robot, perception: BOTH, config: testConfig(['perception.holdMs.depth=20']), arm: true, seconds: 0.5 }),
    /perception\.holdMs\.depth 20 ms is shorter than one depth period \(33\.3 ms at 30 Hz\)/);
});

test('a policy input the perception source does not deliver is refused before anything runs, naming both', async () => {
  const { policy } = await spyPolicy(perceptivePolicy(['depth']));
  // The sim renders only the height scan: the policy's depth input never gets a frame.
  await assert.rejects(runOnSim({ policy, robot, perception: { depth: false, heightScan: true }, config: testConfig(), arm: true, seconds: 0.5 }),
    /needs 'depth', which the perception source 'sim plant' does not deliver \(it delivers 'height_scan'\)/);
});

test('perception faults: specs parse, a delay needs a duration of at most 1 s, and a blind run refuses them', async () => {
  assert.deepEqual(parseFault('delay-depth@500ms:40'), { kind: 'delay-depth', atS: 0.5, arg: 40 });
  assert.deepEqual(parseFault('drop-height-scan@2s'), { kind: 'drop-height-scan', atS: 2, arg: undefined });
  assert.throws(() => parseFault('delay-height-scan@1s'), /delay-height-scan needs a positive duration in ms/);
  assert.throws(() => parseFault('delay-depth@1s:2000'), /at most 1000 ms \(longer: use drop-depth\)/);
  await assert.rejects(runOnSim({ controller: 'lqr', robot, config: testConfig(), arm: true, seconds: 0.5, faults: [parseFault('drop-depth@0.1s')] }),
    /--inject drop-depth needs a perceptive policy fed 'depth' frames/);
});

test('arming waits for a frame within its hold: a stale depth input keeps the robot disarmed and the arm request is refused naming it', async () => {
  const { policy } = await spyPolicy(perceptivePolicy());
  const { handle, ticks } = await startOnSim({ policy, robot, perception: BOTH, config: testConfig(), faults: [parseFault('drop-depth@0s')] });
  await handle.step(30); // the held depth frame is now over 100 ms old
  handle.arm('test');
  await handle.step(250); // past armWaitMs (2 s)
  const s = await handle.stop();
  assert.equal(s.armedTicks, 0);
  assert.ok(ticks.every((t) => t.mode === 'DISARMED' && isZero(t.torque)));
  assert.equal(s.armRefusals.length, 1);
  assert.match(s.armRefusals[0].reason, /^perceptionStale: not armed after 2000 ms: depth: newest frame is \d+\.\d ms old \(held at most 100\.0 ms\)/);
});
