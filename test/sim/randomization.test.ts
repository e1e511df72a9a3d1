// Domain randomization: every randomized quantity varies across episodes, stays within
// its configured range, and stays fixed within an episode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { BallbotBatch } from '../../sim/ballbot-batch.js';
import type { EpisodeParams } from '../../sim/episode-params.js';

test('randomized parameters vary across episodes, within range, fixed within one', async () => {
  const config = resolveEnvConfig({ randomize: true });
  const r = config.randomization!;
  const robot = config.robot;
  const task = { ...config.task, episodeSeconds: 0.05, initTiltDeg: [0, 0] as [number, number] }; // 5 steps per episode
  const batch = await BallbotBatch.create({ ...config, task, numEnvs: 1, seed: 21 });
  const sim = batch.world.robots[0];
  const episodes: EpisodeParams[] = [];
  const action = new Float32Array(3);
  let current = sim.params;
  episodes.push(current);
  for (let k = 0; k < 5 * 40; k++) {
    batch.step(action);
    if (batch.truncated[0]) {
      assert.notEqual(sim.params, current, 'a new episode gets new parameters');
      current = sim.params;
      episodes.push(current);
    } else {
      assert.equal(sim.params, current, 'parameters must not change within an episode');
      // Rapier really simulates them (mass reads back after a step).
      assert.ok(Math.abs(sim.body.mass() - current.bodyMass) < 1e-4 * current.bodyMass, `body mass ${sim.body.mass()} vs ${current.bodyMass}`);
      assert.ok(Math.abs(sim.ball.mass() - current.ballMass) < 1e-4 * current.ballMass);
    }
  }
  batch.close();
  assert.ok(episodes.length >= 30);

  const within = (name: string, values: number[], lo: number, hi: number) => {
    const min = Math.min(...values), max = Math.max(...values);
    assert.ok(min >= lo - 1e-9 && max <= hi + 1e-9, `${name} in [${min}, ${max}] outside [${lo}, ${hi}]`);
    assert.ok(max - min > 0.2 * (hi - lo), `${name} barely varies: [${min}, ${max}] of [${lo}, ${hi}]`);
  };
  const pick = (f: (p: EpisodeParams) => number) => episodes.map(f);
  within('body mass', pick((p) => p.bodyMass), robot.body.mass * r.bodyMassScale[0], robot.body.mass * r.bodyMassScale[1]);
  within('com x', pick((p) => p.comOffset[0]), -r.comOffsetM, r.comOffsetM);
  within('com y', pick((p) => p.comOffset[1]), -r.comOffsetM, r.comOffsetM);
  within('com height', pick((p) => p.comOffset[2]), robot.body.comHeight * r.comHeightScale[0], robot.body.comHeight * r.comHeightScale[1]);
  within('inertia x', pick((p) => p.bodyInertia[0]), robot.body.inertia[0] * r.inertiaScale[0], robot.body.inertia[0] * r.inertiaScale[1]);
  within('ball mass', pick((p) => p.ballMass), robot.ball.mass * r.ballMassScale[0], robot.ball.mass * r.ballMassScale[1]);
  within('ball radius', pick((p) => p.ballRadius), robot.ball.radius * r.ballRadiusScale[0], robot.ball.radius * r.ballRadiusScale[1]);
  within('friction', pick((p) => p.friction), r.friction[0], r.friction[1]);
  within('rolling damping', pick((p) => p.rollingDamping), robot.ball.rollingDamping * r.rollingDampingScale[0], robot.ball.rollingDamping * r.rollingDampingScale[1]);
  for (let w = 0; w < 3; w++) within(`motor ${w} strength`, pick((p) => p.motorMaxTorque[w]), robot.motor.maxTorque * r.motorStrength[0], robot.motor.maxTorque * r.motorStrength[1]);
  within('motor time constant', pick((p) => p.motorTimeConstant), robot.motor.timeConstant * r.motorTimeConstantScale[0], robot.motor.timeConstant * r.motorTimeConstantScale[1]);
  within('action latency', pick((p) => p.actionLatency), robot.motor.latency + r.actionLatencyS[0], robot.motor.latency + r.actionLatencyS[1]);
  within('sensor noise', pick((p) => p.sensorNoiseScale), r.sensorNoiseScale[0], r.sensorNoiseScale[1]);
  within('gyro bias x', pick((p) => p.gyroBias[0]), -robot.sensors.imu.gyroBias, robot.sensors.imu.gyroBias);
  within('terrain roughness', pick((p) => p.terrainRoughness), r.terrainRoughness[0], r.terrainRoughness[1]);
  const misalign = pick((p) => (2 * Math.asin(Math.hypot(p.imuMisalignment[0], p.imuMisalignment[1])) * 180) / Math.PI);
  assert.ok(Math.max(...misalign) <= robot.sensors.imu.misalignmentDeg * Math.SQRT2 + 1e-6 && Math.max(...misalign) > 0.2);
});

test('pushes arrive at the configured interval and magnitude; curriculum level 0 removes randomization', async () => {
  const config = resolveEnvConfig({ randomize: true });
  const task = { ...config.task, episodeSeconds: 60, initTiltDeg: [0, 0] as [number, number] };
  const { createLqrController } = await import('../../sim/lqr.js');
  const batch = await BallbotBatch.create({ ...config, task, numEnvs: 1, seed: 3 });
  const sim = batch.world.robots[0];
  const pushTimes: number[] = [];
  const original = sim.push.bind(sim);
  sim.push = (dvx: number, dvy: number) => {
    const mag = Math.hypot(dvx, dvy);
    const [lo, hi] = config.randomization!.pushes.velocityMps;
    assert.ok(mag >= lo - 1e-9 && mag <= hi + 1e-9, `push ${mag} m/s outside [${lo}, ${hi}]`);
    pushTimes.push(sim.timeS);
    original(dvx, dvy);
  };
  const lqr = createLqrController(config.robot);
  const action = new Float32Array(3);
  for (let k = 0; k < 4000 && !batch.terminated[0]; k++) {
    lqr.act(batch.obs, action);
    batch.step(action);
  }
  const [lo, hi] = config.randomization!.pushes.intervalS;
  assert.ok(pushTimes.length >= 2, `expected pushes within 40 s, got ${pushTimes.length}`);
  for (let i = 1; i < pushTimes.length; i++) {
    const gap = pushTimes[i] - pushTimes[i - 1];
    assert.ok(gap >= lo - 0.011 && gap <= hi + 0.011, `push gap ${gap} s outside [${lo}, ${hi}]`);
  }
  batch.close();

  const nominal = await BallbotBatch.create({ ...config, numEnvs: 1, seed: 3 });
  nominal.curriculumLevel = 0;
  nominal.resetAll(4);
  const p = nominal.world.robots[0].params;
  assert.equal(p.bodyMass, config.robot.body.mass);
  assert.equal(p.friction, config.robot.ball.friction);
  assert.deepEqual(Array.from(p.motorMaxTorque), [1, 1, 1].map(() => config.robot.motor.maxTorque));
  nominal.close();
});
