// Perception cost. Prints one JSON object on the last line:
//   depthRaysPerSec, scanRaysPerSec   Rapier ray casts per second rendering the default depth
//                                     camera (32x24) and height scan (11x11) over rough terrain
//   blindEnvStepsPerSec               one Env on the terrain task, no perception
//   perceptiveEnvStepsPerSec          the same task with depth (30 Hz) and height scan (50 Hz)
//   perceptiveVsBlind                 ratio of the two, measured in interleaved rounds
//   raysPerEnvStep                    mean ray casts per perceptive env step
//   perceptionHeapBytesPerTick        heap growth of one perception tick (ours + Rapier's wrappers)
//   rapierCastHeapBytes               heap growth of one bare Collider.castRay (Rapier's temporaries)
//   ownHeapBytesPerTick               the tick's growth minus its casts' share: what our code allocates
// Usage: npm run bench:perception [-- --json] [-- --seconds S]
import { BallbotEnv } from '../sim/ballbot-env.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { loadTask } from '../sim/config/task.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { withPerception } from '../sim/perception/config.js';
import { DepthCamera } from '../sim/perception/depth-camera.js';
import { HeightScan } from '../sim/perception/height-scan.js';
import { TerrainRays } from '../sim/perception/terrain-rays.js';
import { heapGrowth, interleaved, rateFor } from './measure.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const secondsArg = args.indexOf('--seconds');
const budget = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 3;
if (!(budget > 0)) throw new Error(`--seconds must be a positive number, got '${args[secondsArg + 1]}'`);
const log = (msg: string) => process.stderr.write(msg + '\n');

const robot = withPerception(loadRobotConfig(DEFAULT_ROBOT_CONFIG));
const terrainTask = loadTask('terrain');
const blind = await BallbotEnv.create({ robot, task: terrainTask, seed: 1 });
const perceptive = await BallbotEnv.create({ robot, task: { ...terrainTask, perception: { depth: true, heightScan: true } }, seed: 1 });

log('bench:perception  ray casts of one depth frame and one height scan on rough terrain ...');
const sim = perceptive.simulation.world.robots[0];
const rays = new TerrainRays();
const camera = new DepthCamera(robot.perception.depthCamera!, 1, null);
const scan = new HeightScan(robot.perception.heightScan!, 1, null);
const depthFrame = new Float32Array(camera.pixels), scanFrame = new Float32Array(scan.cells);
const depthRaysPerSec = rateFor(() => camera.render(0, sim, rays, depthFrame), budget / 2) * camera.pixels;
const scanRaysPerSec = rateFor(() => scan.render(0, sim, rays, scanFrame), budget / 2) * scan.cells;
log(`  depth ${(depthRaysPerSec / 1e6).toFixed(2)} M rays/s (${(depthRaysPerSec / camera.pixels).toFixed(0)} frames/s), scan ${(scanRaysPerSec / 1e6).toFixed(2)} M rays/s`);

log('bench:perception  env steps, blind vs perceptive (interleaved rounds) ...');
const action = new Float32Array(3);
const stepper = (env: BallbotEnv) => {
  let k = 0;
  return () => {
    action[0] = 0.2 * Math.sin(k++ * 0.05);
    const s = env.step(action);
    if (s.terminated || s.truncated) env.reset();
  };
}
const stepBlind = stepper(blind), stepPerceptive = stepper(perceptive);
const perception = perceptive.simulation.perception!;
const raysBefore = perception.rays.count;
let perceptiveSteps = 0;
const [blindEnvStepsPerSec, perceptiveEnvStepsPerSec] = interleaved([stepBlind, () => (perceptiveSteps++, stepPerceptive())], budget * 2);
const raysPerEnvStep = (perception.rays.count - raysBefore) / perceptiveSteps;
log(`  blind ${blindEnvStepsPerSec.toFixed(0)} env-steps/s, perceptive ${perceptiveEnvStepsPerSec.toFixed(0)} env-steps/s (${(perceptiveEnvStepsPerSec / blindEnvStepsPerSec).toFixed(2)}x), ${raysPerEnvStep.toFixed(0)} rays per step, ${((raysPerEnvStep * perceptiveEnvStepsPerSec) / 1e6).toFixed(2)} M rays/s in the env`);

const tickRaysBefore = perception.rays.count;
const perceptionHeapBytesPerTick = heapGrowth(() => perception.step(0, sim), 1000);
const raysPerTick = (perception.rays.count - tickRaysBefore) / 8000; // heapGrowth makes 8 tries
const bare = new TerrainRays();
const rapierCastHeapBytes = heapGrowth(() => bare.cast(sim.terrainCollider, sim.originX, sim.originY, 3, 0, 0, -1, 6));
const ownHeapBytesPerTick = Math.max(0, perceptionHeapBytesPerTick - raysPerTick * rapierCastHeapBytes);
log(`  heap growth per perception tick: ${perceptionHeapBytesPerTick.toFixed(0)} B, of which Rapier's per-cast temporaries ${rapierCastHeapBytes.toFixed(1)} B x ${raysPerTick.toFixed(0)} casts; own code ~${ownHeapBytesPerTick.toFixed(0)} B`);
blind.close();
perceptive.close();

const result = {
  depthRaysPerSec: Math.round(depthRaysPerSec),
  scanRaysPerSec: Math.round(scanRaysPerSec),
  blindEnvStepsPerSec: Math.round(blindEnvStepsPerSec),
  perceptiveEnvStepsPerSec: Math.round(perceptiveEnvStepsPerSec),
  perceptiveVsBlind: +(perceptiveEnvStepsPerSec / blindEnvStepsPerSec).toFixed(3),
  raysPerEnvStep: +raysPerEnvStep.toFixed(1),
  perceptionHeapBytesPerTick: +perceptionHeapBytesPerTick.toFixed(0),
  rapierCastHeapBytes: +rapierCastHeapBytes.toFixed(1),
  ownHeapBytesPerTick: +ownHeapBytesPerTick.toFixed(0),
};
if (json) console.log(JSON.stringify(result));
else console.table(result);
