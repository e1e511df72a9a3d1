// The motor model owns motor strength: a motor of strength s delivers s times the command
// (before its current limit), whoever sends the command: training env, deploy or HIL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MotorBank, type MotorParams } from '../../sim/motor.js';

const params = (strength: number[], maxTorque = 2): MotorParams => ({
  maxTorque: new Float64Array(3).fill(maxTorque), strength: Float64Array.from(strength),
  noLoadSpeed: 1e9, viscousFriction: 0, coulombFriction: 0, timeConstant: 0, delaySteps: 0,
});

test('strength scales the delivered torque; the current limit still caps it', () => {
  const motors = new MotorBank(0);
  const out = new Float64Array(3);
  motors.step(params([1, 0.5, 0.8]), [1, 1, -1], [0, 0, 0], 0.002, out);
  assert.deepEqual(Array.from(out), [1, 0.5, -0.8]);
  motors.step(params([1, 0.5, 0.8], 0.6), [1, 1, -1], [0, 0, 0], 0.002, out);
  assert.deepEqual(Array.from(out), [0.6, 0.5, -0.6]);
});

test('strength acts on the command entering the latency line', () => {
  const motors = new MotorBank(2);
  const out = new Float64Array(3);
  const p = { ...params([0.5, 0.5, 0.5]), delaySteps: 2 };
  motors.step(p, [1, 1, 1], [0, 0, 0], 0.002, out);
  assert.deepEqual(Array.from(out), [0, 0, 0]);
  motors.step(p, [0, 0, 0], [0, 0, 0], 0.002, out);
  motors.step(p, [0, 0, 0], [0, 0, 0], 0.002, out);
  assert.deepEqual(Array.from(out), [0.5, 0.5, 0.5]);
});
