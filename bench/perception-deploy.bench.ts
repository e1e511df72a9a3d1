// Perception cost in deploy: the control tick (read frames, staleness and NaN checks, feed the
// policy, queue new frames for the MCAP) and the simulated robot's step (physics plus rendering
// the depth image and height scan) with and without perception, measured in interleaved rounds
// of the same run on the lockstep sim link. The policy is the LQR declaring the perception
// inputs and copying each frame in, as the ONNX loader does: the number is the runtime's cost,
// not a network's. Prints one JSON object on the last line:
//   tickUsP50/P99 {blind, perceptive}      ControlLoop.step(), us
//   robotStepUsP50, robotStepUsMean        the plant's control step (physics, and the sensors when a
//                                          frame is due: the mean carries the rendering), us
//   tickExtraUsP50                         perceptive minus blind tick, us
// Usage: npm run bench:perception-deploy [-- --json] [-- --ticks N] [-- --record]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SimClock } from '../deploy/clock.js';
import { defaultDeployConfig } from '../deploy/config.js';
import { LockstepSimLink } from '../deploy/lockstep.js';
import { LqrPolicy } from '../deploy/lqr-policy.js';
import { perceptionOf } from '../deploy/perception.js';
import type { Policy } from '../deploy/policy.js';
import { ControlLoop } from '../deploy/runtime.js';
import { SampleStats, r1 } from '../deploy/stats.js';
import { Telemetry, type ChannelName } from '../deploy/telemetry.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { withPerception } from '../sim/perception/config.js';
import { perceptionArtifactInput, PERCEPTION_INPUTS } from '../sim/perception/layout.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, ticks: { type: 'string' }, record: { type: 'boolean' } } });
/** Rounds of each mode, alternated: a busy machine slows both alike. */
const ROUNDS = 6;
const ticksPerRound = Math.floor(Number(values.ticks ?? 3000) / ROUNDS);
if (!(ticksPerRound >= 100)) throw new Error(`--ticks must be a number of at least ${ROUNDS * 100}, got '${values.ticks}'`);
const log = (line: string) => process.stderr.write(line + '\n');

const robot = withPerception(loadRobotConfig(DEFAULT_ROBOT_CONFIG));
const cfg = defaultDeployConfig(['sim.randomize=false', 'sim.initTiltDeg=0', 'sim.dropoutProb=0']);
const dir = mkdtempSync(join(tmpdir(), 'ballbot-bench-perception-deploy-'));

/** The LQR, declaring the perception inputs and copying each frame in as the ONNX loader does. */
async function perceptiveLqr(): Promise<Policy> {
  const lqr = await LqrPolicy.create(robot, cfg.rateHz);
  const inputs = PERCEPTION_INPUTS.map((name) => perceptionArtifactInput(robot, name));
  const buffers = inputs.map((i) => new Float32Array(i.layout.length));
  return {
    name: 'lqr fed perception', obsSize: lqr.obsSize, actionSize: lqr.actionSize, maxTorqueNm: lqr.maxTorqueNm, extraInputs: inputs,
    reset: () => lqr.reset(), close: () => lqr.close(),
    act(obs, out, extras) {
      for (let k = 0; k < inputs.length; k++) buffers[k].set(extras![inputs[k].name]);
      lqr.act(obs, out);
    },
  };
}

/** Percentiles and the mean of one timed quantity. */
class Timing {
  readonly samples = new SampleStats();
  private sum = 0;
  add(us: number): void { this.samples.add(us); this.sum += us; }
  get mean(): number { return this.sum / this.samples.count; }
}

async function round(perceptive: boolean, ticks: number, tick: Timing, robotStep: Timing, n: number): Promise<void> {
  const clock = new SimClock();
  const link = new LockstepSimLink({ ...cfg.sim, robot, perception: perceptive ? { depth: true, heightScan: true } : undefined }, clock);
  await link.connect();
  const policy = perceptive ? await perceptiveLqr() : await LqrPolicy.create(robot, cfg.rateHz);
  const channels: ChannelName[] = ['state', 'observation', 'action', 'timing', ...(perceptive ? ['depth', 'height_scan'] as ChannelName[] : [])];
  const telemetry = values.record ? await Telemetry.open(join(dir, `round-${n}.mcap`), { chunkBytes: 64 * 1024, channels }) : null;
  const loop = new ControlLoop({ cfg, robot, policy, link, perception: perceptionOf(link), telemetry, clock, lockstep: true });
  loop.start();
  loop.arm('bench');
  for (let k = 0; k < ticks; k++) {
    clock.advance(1000 / cfg.rateHz);
    const t0 = performance.now();
    link.advance();
    const t1 = performance.now();
    loop.step();
    const t2 = performance.now();
    if (k >= 50) { robotStep.add((t1 - t0) * 1000); tick.add((t2 - t1) * 1000); }
    if (k % 200 === 199) await new Promise((r) => setImmediate(r)); // let the recording drain
  }
  const summary = await loop.stop();
  if (summary.estops.length) throw new Error(`bench round e-stopped: ${summary.estops[0].reason}`);
  await telemetry?.close();
  await link.close();
  policy.close();
}

const stats = { blind: { tick: new Timing(), robot: new Timing() }, perceptive: { tick: new Timing(), robot: new Timing() } };
const rounds = ROUNDS;
const started = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const mode of ['blind', 'perceptive'] as const) await round(mode === 'perceptive', ticksPerRound, stats[mode].tick, stats[mode].robot, r);
  const done = r + 1, elapsed = (performance.now() - started) / 1000;
  log(`bench:perception-deploy  round ${done}/${rounds}  ${((done * 2 * ticksPerRound) / elapsed).toFixed(0)} ticks/s  ETA ${((elapsed / done) * (rounds - done)).toFixed(0)} s`);
}
rmSync(dir, { recursive: true, force: true });

const p = (t: Timing) => t.samples.percentiles(50, 99).map(r1);
const [bt50, bt99] = p(stats.blind.tick), [pt50, pt99] = p(stats.perceptive.tick);
const result = {
  ticksPerRound, rounds, record: !!values.record,
  tickUsP50: { blind: bt50, perceptive: pt50 }, tickUsP99: { blind: bt99, perceptive: pt99 },
  tickUsMean: { blind: r1(stats.blind.tick.mean), perceptive: r1(stats.perceptive.tick.mean) },
  robotStepUsP50: { blind: p(stats.blind.robot)[0], perceptive: p(stats.perceptive.robot)[0] },
  robotStepUsMean: { blind: r1(stats.blind.robot.mean), perceptive: r1(stats.perceptive.robot.mean) },
  tickExtraUsP50: bt50 !== null && pt50 !== null ? r1(pt50 - bt50) : null,
};
if (!values.json) log(`tick p50 ${bt50} us blind, ${pt50} us perceptive; robot step mean ${result.robotStepUsMean.blind} vs ${result.robotStepUsMean.perceptive} us`);
process.stdout.write(JSON.stringify(result) + '\n');
