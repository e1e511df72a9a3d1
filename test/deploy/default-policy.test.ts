// The committed default policy balances for 30 s on the sim link with randomized dynamics,
// sensor latency and dropouts (lockstep: a simulated clock, independent of the machine's load).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { defaultDeployConfig } from '../../deploy/config.js';
import { robot, runOnSim } from './harness.js';

const POLICY = fileURLToPath(new URL('../../../policies/balance-default.onnx', import.meta.url));

test('the default policy balances 30 s on the randomized sim link', { timeout: 55_000 }, async (t) => {
  const config = defaultDeployConfig([
    'sim.randomize=true', 'sim.seed=7', 'sim.stateLatencyMs=4', 'sim.dropoutProb=0.02',
  ]);
  const { summary } = await runOnSim({ policy: POLICY, config, arm: true, seconds: 30 });
  assert.ok(summary.armedTicks > 0);
  {
    assert.deepEqual(summary.estops, [], JSON.stringify(summary.estops));
    assert.equal(summary.fell, false);
    assert.ok(summary.ticks + summary.missedDeadlines >= 2900);
    assert.ok(summary.maxTiltDeg !== null && summary.maxTiltDeg < 15, `max tilt ${summary.maxTiltDeg} deg`);
  }
  void robot;
});
