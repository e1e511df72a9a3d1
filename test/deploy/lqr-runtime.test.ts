// The LQR baseline through the same runtime, safety layer and simulated robot as a policy, on
// the randomized robot with sensor latency and dropouts: it balances and nothing trips.
// Lockstep (simulated clock), so the outcome cannot depend on the machine's load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDeployConfig } from '../../deploy/config.js';
import { parseFault } from '../../deploy/faults.js';
import { robot, runOnSim } from './harness.js';

test('LQR balances for 4 s on the randomized sim link through the deploy runtime', async () => {
  const config = defaultDeployConfig([
    'sim.randomize=true', 'sim.seed=3', 'sim.stateLatencyMs=4', 'sim.dropoutProb=0.02',
  ]);
  const { summary, ticks } = await runOnSim({ controller: 'lqr', config, arm: true, seconds: 4 });
  assert.equal(summary.policy, 'lqr');
  assert.ok(summary.armedTicks > 0 && summary.inferenceUsP50 !== null, 'the LQR ran armed through the loop');
  {
    assert.deepEqual(summary.estops, [], JSON.stringify(summary.estops));
    assert.equal(summary.fell, false);
    assert.equal(summary.finalMode, 'RUNNING');
    const late = ticks.filter((k) => k.elapsedMs > 2000 && Number.isFinite(k.tiltRad));
    assert.ok(late.length > 100);
    assert.ok(Math.max(...late.map((k) => k.tiltRad)) < (10 * Math.PI) / 180, 'settled within 10 deg');
    assert.ok(late.some((k) => k.torque.some((v) => v !== 0)), 'the controller is acting');
  }
  void robot;
});

test('--inject push: the LQR is knocked and recovers without an e-stop', async () => {
  const config = defaultDeployConfig([
    'sim.randomize=false', 'sim.initTiltDeg=0', 'sim.dropoutProb=0',
  ]);
  const { summary, ticks } = await runOnSim({ controller: 'lqr', config, arm: true, seconds: 4, faults: [parseFault('push@2s:0.4')] });
  const maxTilt = (from: number, to: number) => Math.max(...ticks.filter((k) => k.elapsedMs >= from && k.elapsedMs < to).map((k) => k.tiltRad));
  {
    assert.deepEqual(summary.estops, [], JSON.stringify(summary.estops));
    const before = maxTilt(1500, 2000), after = maxTilt(2000, 2600), settled = maxTilt(3500, 4000);
    assert.ok(after > before * 2 && after > 0.5 * Math.PI / 180, `the push tilts the body (before ${before}, after ${after} rad)`);
    assert.ok(settled < after, `and the controller brings it back (${settled} rad at the end)`);
    assert.equal(summary.fell, false);
  }
});
