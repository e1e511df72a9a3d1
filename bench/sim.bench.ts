// Simulation throughput. Prints one JSON object on the last line:
//   rapierBaselineStepsPerSec  bare Rapier: ball + body + spherical joint on a ground slab
//   physicsStepsPerSec         our model's physics substep (motors, omniwheels, sensors), one robot
//   envStepsPerSec             one Env step (control period: substeps + observation + reward)
//   vecEnvStepsPerSec          many robots per World, one World per core (worker threads)
// Usage: npm run bench:sim [-- --json] [-- --seconds S]
import { availableParallelism } from 'node:os';
import { makeBallbotEnv } from '../sim/ballbot-env.js';
import { makeBallbotVecEnv } from '../sim/vec-env.js';
import { loadRapier } from '../sim/rapier.js';
import { BallbotWorld } from '../sim/world.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { nominalParams } from '../sim/episode-params.js';
import { heapGrowth, interleaved } from './measure.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const secondsArg = args.indexOf('--seconds');
const budget = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 3;
const log = (msg: string) => process.stderr.write(msg + '\n');

/** Run `step` repeatedly for about `budget` seconds; return calls per second. */
function rate(step: () => void, batch = 200): number {
  for (let i = 0; i < batch * 5; i++) step(); // warm-up (JIT, Rapier caches)
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budget * 1000) {
    for (let i = 0; i < batch; i++) step();
    calls += batch;
  }
  return calls / ((performance.now() - t0) / 1000);
}

async function rapierBaseline(): Promise<{ step: () => void; close: () => void }> {
  const R = await loadRapier();
  const world = new R.World({ x: 0, y: 0, z: -9.81 });
  world.timestep = 0.002;
  const ground = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(0, 0, -0.5));
  world.createCollider(R.ColliderDesc.cuboid(50, 50, 0.5), ground);
  const ball = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(0, 0, 0.121).setCanSleep(false));
  world.createCollider(R.ColliderDesc.ball(0.121).setDensity(0), ball);
  ball.setAdditionalMassProperties(0.62, { x: 0, y: 0, z: 0 }, { x: 0.006, y: 0.006, z: 0.006 }, { x: 0, y: 0, z: 0, w: 1 }, true);
  const body = world.createRigidBody(
    R.RigidBodyDesc.dynamic().setTranslation(0, 0, 0.121).setCanSleep(false)
      .setAdditionalMassProperties(4, { x: 0, y: 0, z: 0.3 }, { x: 0.12, y: 0.12, z: 0.03 }, { x: 0, y: 0, z: 0, w: 1 }),
  );
  world.createImpulseJoint(R.JointData.spherical({ x: 0, y: 0, z: 0 }, { x: 0, y: 0, z: 0 }), ball, body, true);
  // Keep it upright so it measures the same contact and joint work as the balanced robot.
  const step = () => {
    world.step();
    body.setRotation({ x: 0, y: 0, z: 0, w: 1 }, false);
    body.setAngvel({ x: 0, y: 0, z: 0 }, false);
  };
  return { step, close: () => world.free() };
}

async function physicsSteps(): Promise<{ step: () => void; heapBytesPerStep: () => { model: number; rapierStep: number }; close: () => void }> {
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const world = await BallbotWorld.create(robot, 1);
  const sim = world.robots[0];
  sim.setParams(nominalParams(robot));
  sim.resetPose(0, 0, 0, 0, 0);
  const step = () => {
    world.stepPhysics();
    sim.body.setRotation({ x: 0, y: 0, z: 0, w: 1 }, false);
    sim.body.setAngvel({ x: 0, y: 0, z: 0 }, false);
  };
  // Allocation check: heap growth over many steps (a GC in between hides some: an upper bound
  // only when no GC ran, so take the smallest of several tries).
  // Rapier's own World.step allocates JS objects each call, and addTorque wraps its argument in
  // a temporary wasm vector; report the model's code (everything but world.step) separately.
  const heapBytesPerStep = () => ({
    model: heapGrowth(() => {
      sim.prePhysics();
      sim.postPhysics();
    }),
    rapierStep: heapGrowth(() => world.world.step()),
  });
  return { step, heapBytesPerStep, close: () => world.close() };
}

async function envSteps(): Promise<number> {
  const env = await makeBallbotEnv({ seed: 1 });
  env.reset(1);
  const action = new Float32Array(3);
  let k = 0;
  const r = rate(() => {
    action[0] = 0.2 * Math.sin(k++ * 0.05);
    const s = env.step(action);
    if (s.terminated || s.truncated) env.reset();
  }, 50);
  env.close();
  return r;
}

async function vecEnvSteps(): Promise<{ rate: number; numEnvs: number; workers: number }> {
  const workers = availableParallelism();
  const numEnvs = 32 * workers;
  const env = await makeBallbotVecEnv({ numEnvs, workers, seed: 1 });
  await env.reset(1);
  const actions = new Float32Array(numEnvs * 3);
  for (let i = 0; i < 20; i++) await env.step(actions);
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budget * 1000) {
    for (let i = 0; i < actions.length; i++) actions[i] = 0.1 * Math.sin(steps * 0.05 + i);
    await env.step(actions);
    steps++;
  }
  const r = (steps * numEnvs) / ((performance.now() - t0) / 1000);
  await env.close();
  return { rate: r, numEnvs, workers };
}

log('bench:sim  bare Rapier baseline vs ballbot physics substep (interleaved rounds) ...');
const baseline = await rapierBaseline();
const model = await physicsSteps();
const [rapierBaselineStepsPerSec, physicsRate] = interleaved([baseline.step, model.step], budget);
const physics = { rate: physicsRate, heapBytesPerStep: model.heapBytesPerStep() };
baseline.close();
model.close();
log(`  baseline ${rapierBaselineStepsPerSec.toFixed(0)} steps/s, model ${physics.rate.toFixed(0)} steps/s (${(physics.rate / rapierBaselineStepsPerSec).toFixed(2)}x), heap growth per substep: model code ${physics.heapBytesPerStep.model.toFixed(1)} B, Rapier world.step ${physics.heapBytesPerStep.rapierStep.toFixed(1)} B\nbench:sim  one Env ...`);
const envStepsPerSec = await envSteps();
log(`  ${envStepsPerSec.toFixed(0)} env-steps/s\nbench:sim  VecEnv on all cores ...`);
const vec = await vecEnvSteps();
log(`  ${vec.rate.toFixed(0)} env-steps/s (${vec.numEnvs} envs, ${vec.workers} workers, ${(vec.rate / envStepsPerSec).toFixed(2)}x one env)`);

const result = {
  rapierBaselineStepsPerSec: Math.round(rapierBaselineStepsPerSec),
  physicsStepsPerSec: Math.round(physics.rate),
  physicsVsBaseline: +(physics.rate / rapierBaselineStepsPerSec).toFixed(3),
  modelHeapBytesPerSubstep: +physics.heapBytesPerStep.model.toFixed(1),
  rapierStepHeapBytes: +physics.heapBytesPerStep.rapierStep.toFixed(1),
  envStepsPerSec: Math.round(envStepsPerSec),
  vecEnvStepsPerSec: Math.round(vec.rate),
  vecEnvVsEnv: +(vec.rate / envStepsPerSec).toFixed(2),
  vecEnvs: vec.numEnvs,
  workers: vec.workers,
};
if (json) console.log(JSON.stringify(result));
else console.table(result);
