// Wheel slip (robot config `drive.model: traction`, sim/wheel-contact.ts): friction-limited
// torque per wheel and roller friction. The physics step stays converged with it, the LQR
// balances and recovers from a push with a rubber-like wheel friction, slipping wheels
// (low friction) lose the same push, and the friction is randomizable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { RandomizationSchema } from '../../sim/config/randomization.js';
import type { RobotConfig } from '../../sim/config/robot.js';
import { nominalParams, sampleParams } from '../../sim/episode-params.js';
import { createLqrController } from '../../sim/lqr.js';
import { Rng } from '../../sim/rng.js';
import { runRollout } from '../../sim/rollout.js';
import { WheelContact } from '../../sim/wheel-contact.js';

const traction = (robot: RobotConfig, wheelFriction: number): RobotConfig => ({ ...robot, drive: { model: 'traction', wheelFriction, preloadN: 0, rollerDamping: 0.5 } });

async function trajectory(wheelFriction: number | null, physicsDt?: number, pushMps = 0.6) {
  const c = resolveEnvConfig({});
  const s = c.robot.sensors;
  c.robot = {
    ...(wheelFriction === null ? c.robot : traction(c.robot, wheelFriction)),
    motor: { ...c.robot.motor, latency: 0 },
    control: { ...c.robot.control, physicsDt: physicsDt ?? c.robot.control.physicsDt },
    sensors: {
      imu: { ...s.imu, latency: 0, gyroNoise: 0, gravityNoise: 0, gyroQuantization: 0 },
      encoder: { ...s.encoder, velocityNoise: 0, countsPerRev: 0, latency: 0 },
    },
  };
  const tilt: number[] = [];
  const result = await runRollout(c, createLqrController(c.robot), {
    seconds: 5, seed: 1, initTiltDeg: 4, pushes: [{ atS: 2, dvx: pushMps, dvy: 0.2 }],
    onStep: (t) => { tilt.push((t.tiltRad * 180) / Math.PI); },
  });
  return { tilt, result };
}

const maxDiff = (a: number[], b: number[]) => a.reduce((d, x, i) => (i < b.length ? Math.max(d, Math.abs(x - b[i])) : d), 0);

test('traction: the default physics step matches a 4x finer step through a push that makes the wheels slip', async () => {
  const dt = resolveEnvConfig({}).robot.control.physicsDt;
  const base = await trajectory(0.4, dt), fine = await trajectory(0.4, dt / 4), ideal = await trajectory(null, dt);
  assert.equal(base.result.fell, false);
  const err = maxDiff(base.tilt, fine.tilt);
  assert.ok(err < 0.5, `tilt differs from the 4x finer step by ${err.toFixed(3)} deg`);
  assert.ok(maxDiff(base.tilt, ideal.tilt) > 2 * err, 'slip changes the response more than the step size does');
});

test('LQR balances and recovers from a 0.4 m/s push with wheel friction 0.4; slipping wheels at 0.2 lose it', async () => {
  const grip = await trajectory(0.4, undefined, 0.4);
  assert.equal(grip.result.fell, false, `max tilt ${grip.result.maxTiltDeg}`);
  assert.ok(grip.tilt[grip.tilt.length - 1] < 3, 'upright again at the end');
  const slip = await trajectory(0.2, undefined, 0.4);
  assert.equal(slip.result.fell, true, 'a 0.19 N m traction limit cannot catch the push');
});

test('WheelContact: torque capped at mu N r per wheel; rollers oppose the relative spin', () => {
  const robot = traction(resolveEnvConfig({}).robot, 0.5);
  const p = nominalParams(robot);
  const c = new WheelContact(robot, p);
  const expected = 0.5 * ((robot.body.mass * robot.gravity) / (3 * Math.cos(Math.PI / 4))) * robot.wheels.radius;
  assert.ok(Math.abs(c.tractionLimitNm - expected) < 1e-9);
  const T = Float64Array.of(1.5, -0.1, -1.5);
  c.limitTraction(T);
  assert.deepEqual(Array.from(T), [expected, -0.1, -expected]);
  assert.equal(c.slipping, 0b101);
  const tau = new Float64Array(3);
  c.addRollerTorque([2, -1, 5], tau);
  assert.ok(tau[0] < 0 && tau[1] > 0 && tau[2] === 0, `roller torque ${Array.from(tau)}`);
});

test('wheel friction and roller damping are randomizable', () => {
  const robot = traction(resolveEnvConfig({}).robot, 0.8);
  const base = resolveEnvConfig({ randomize: true }).randomization!;
  const cfg = RandomizationSchema.parse({ ...base, wheelFrictionScale: [0.5, 1.0], rollerDampingScale: [1, 3] });
  const rng = new Rng(3);
  const seen = Array.from({ length: 50 }, () => sampleParams(robot, cfg, rng));
  for (const p of seen) {
    assert.ok(p.wheelFriction >= 0.4 - 1e-12 && p.wheelFriction <= 0.8 + 1e-12);
    assert.ok(p.rollerDamping >= 0.5 - 1e-12 && p.rollerDamping <= 1.5 + 1e-12);
    assert.equal(p.drive, 'traction');
  }
  assert.ok(new Set(seen.map((p) => p.wheelFriction)).size > 40);
});
