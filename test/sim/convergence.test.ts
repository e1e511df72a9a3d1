// The physics step is converged: the default step (robot.control.physicsDt) reproduces a
// 4x finer step's trajectory through a hard push, and a 5x coarser step is visibly worse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { runRollout } from '../../sim/rollout.js';
import { createLqrController } from '../../sim/lqr.js';

async function trajectory(physicsDt: number) {
  const c = resolveEnvConfig({});
  const s = c.robot.sensors;
  // Noise-free, latency-free sensors: latencies round to whole substeps, which would hide
  // the physics' own convergence behind a timing difference.
  c.robot = {
    ...c.robot,
    motor: { ...c.robot.motor, latency: 0 },
    control: { ...c.robot.control, physicsDt },
    sensors: {
      imu: { ...s.imu, latency: 0, gyroNoise: 0, gravityNoise: 0, gyroQuantization: 0 },
      encoder: { ...s.encoder, velocityNoise: 0, countsPerRev: 0, latency: 0 },
    },
  };
  const tilt: number[] = [], x: number[] = [];
  const result = await runRollout(c, createLqrController(c.robot), {
    seconds: 5, seed: 1, initTiltDeg: 5,
    pushes: [{ atS: 2, dvx: 1.2, dvy: 0.3 }],
    onStep: (t) => {
      tilt.push((t.tiltRad * 180) / Math.PI);
      x.push(t.ballPosition[0]);
    },
  });
  return { tilt, x, result };
}

function maxDiff(a: number[], b: number[]): number {
  let d = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

test('default physics step matches a 4x finer step through a hard push', async () => {
  const dt = resolveEnvConfig({}).robot.control.physicsDt;
  const base = await trajectory(dt), fine = await trajectory(dt / 4), coarse = await trajectory(dt * 5);
  assert.equal(base.result.fell, false);
  assert.ok(base.result.maxTiltDeg > 10, 'the push should be hard');
  const tiltErr = maxDiff(base.tilt, fine.tilt), xErr = maxDiff(base.x, fine.x);
  assert.ok(tiltErr < 0.5, `tilt differs from the 4x finer step by ${tiltErr.toFixed(3)} deg`);
  assert.ok(xErr < 0.01, `position differs from the 4x finer step by ${xErr.toFixed(4)} m`);
  const coarseErr = maxDiff(coarse.tilt, fine.tilt);
  assert.ok(coarseErr > tiltErr, `a 5x coarser step should be worse (${coarseErr.toFixed(3)} vs ${tiltErr.toFixed(3)} deg)`);
});
