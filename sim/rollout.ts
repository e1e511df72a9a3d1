// Run one episode of a task with a controller through the policy's own observation and
// action path, measuring what the `sim` command and the tests report.
import { BallbotBatch, PRIV_INDEX } from './ballbot-batch.js';
import type { ResolvedEnvConfig } from './ballbot-env.js';
import type { Controller } from './controller.js';
import { ACTION_SIZE, OBS_SIZE } from './observation.js';
import { newTruth } from './robot-sim.js';
import type { PlantTruth } from './plant-api.js';
import type { Terrain } from './terrain.js';

export interface RolloutOptions {
  seconds: number;
  seed: number;
  /** Start tilt (deg); default: the task's range. */
  initTiltDeg?: number;
  /** Scheduled pushes (in addition to any from randomization). */
  pushes?: { atS: number; dvx: number; dvy: number }[];
  /** Called once the episode is set up, with its terrain (null = flat). */
  onStart?: (terrain: Terrain | null) => void;
  /** Called every control step (recording, viewers). */
  onStep?: (truth: PlantTruth, action: Float32Array, command: Float32Array) => void;
  onPush?: (t: number, dvx: number, dvy: number) => void;
}

export interface RolloutResult {
  fell: boolean;
  maxTiltDeg: number;
  maxTiltDegAfter3s: number;
  simSeconds: number;
  finalDistanceM: number;
  meanActionChange: number;
  steps: number;
}

export async function runRollout(config: ResolvedEnvConfig, controller: Controller, options: RolloutOptions): Promise<RolloutResult> {
  const task = { ...config.task, episodeSeconds: options.seconds };
  if (options.initTiltDeg !== undefined) task.initTiltDeg = [options.initTiltDeg, options.initTiltDeg];
  const batch = await BallbotBatch.create({ ...config, task, numEnvs: 1, seed: options.seed });
  try {
    const sim = batch.world.robots[0];
    options.onStart?.(sim.terrain);
    const tiltLimit = (task.tiltLimitDeg * Math.PI) / 180;
    const truth = newTruth();
    const obs = new Float32Array(OBS_SIZE);
    const action = new Float32Array(ACTION_SIZE);
    const prev = new Float32Array(ACTION_SIZE);
    const pushes = [...(options.pushes ?? [])].sort((a, b) => a.atS - b.atS);
    controller.reset();
    obs.set(batch.obs.subarray(0, OBS_SIZE));
    // One env: each perception buffer is this env's frame; the loop stops at the episode's end, so the live frame is the right one.
    const perception = batch.perception;
    const extras = perception ? Object.fromEntries(Object.keys(perception.spaces()).map((name) => [name, perception.output(name)])) : undefined;
    let maxTilt = 0, maxTiltAfter3 = 0, actionChange = 0, steps = 0, fell = false;
    const total = Math.round(options.seconds / batch.controlDt);
    for (; steps < total; ) {
      controller.act(obs, action, extras);
      for (let k = 0; k < ACTION_SIZE; k++) {
        actionChange += Math.abs(action[k] - prev[k]) / ACTION_SIZE;
        prev[k] = action[k];
      }
      while (pushes.length && pushes[0].atS <= sim.timeS + batch.controlDt / 2) {
        const p = pushes.shift()!;
        sim.push(p.dvx, p.dvy);
        options.onPush?.(sim.timeS, p.dvx, p.dvy);
      }
      batch.step(action);
      steps++;
      const ended = batch.terminated[0] === 1 || batch.truncated[0] === 1;
      // On the last step the batch has auto-reset: read the final observation, not the new one.
      obs.set((ended ? batch.finalObs : batch.obs).subarray(0, OBS_SIZE));
      const t = ended ? null : sim.fillTruth(truth, tiltLimit);
      const tiltDeg = ((ended ? batch.finalPrivileged[PRIV_INDEX.tiltRad] : t!.tiltRad) * 180) / Math.PI;
      if (t) options.onStep?.(t, action, batch.obs.subarray(12, 15));
      maxTilt = Math.max(maxTilt, tiltDeg);
      if (steps * batch.controlDt > 3) maxTiltAfter3 = Math.max(maxTiltAfter3, tiltDeg);
      if (batch.terminated[0]) {
        fell = true;
        break;
      }
      if (ended) break;
    }
    const fp = batch.finalPrivileged;
    const finalDistance = fell || steps >= total ? Math.hypot(fp[PRIV_INDEX.posX], fp[PRIV_INDEX.posY]) : Math.hypot(batch.privileged[PRIV_INDEX.posX], batch.privileged[PRIV_INDEX.posY]);
    return {
      fell,
      maxTiltDeg: maxTilt,
      maxTiltDegAfter3s: maxTiltAfter3,
      simSeconds: steps * batch.controlDt,
      finalDistanceM: finalDistance,
      meanActionChange: steps ? actionChange / steps : 0,
      steps,
    };
  } finally {
    batch.close();
  }
}
