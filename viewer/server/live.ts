// A live rollout for the viewer: the simulator (sim/plant.ts) driven in real time by a
// controller, with random pushes, streamed to every connected page. The viewer clips the
// action to [-1, 1] (its only safety rule) and marks each clipping episode as a safety event.
import type { RobotConfig } from '../../sim/config/robot.js';
import { actionToTorque, buildObservation, clipAction, OBS_SIZE, ACTION_SIZE } from '../../sim/observation.js';
import { createPlant, type PlantOptions } from '../../sim/plant.js';
import { Rng } from '../../sim/rng.js';
import { DEPTH_INPUT } from '../../sim/perception/perception-batch.js';
import { terrainForRecording } from '../../sim/recording.js';
import type { EpisodeData, EpisodeEvent, EpisodeFrame, LiveMessage } from '../page/episode.js';
import { episodeRobot } from './episode-from-recording.js';
import type { Policy } from '../../deploy/policy.js';

export interface LiveRollout {
  snapshot(): EpisodeData;
  subscribe(listener: (m: LiveMessage) => void): () => void;
  push(dvx: number, dvy: number): void;
  setCommand(vx: number, vy: number, yawRate: number): void;
  reset(): void;
  close(): void;
}

export interface LiveOptions {
  plantOptions: PlantOptions;
  controller: Policy;
  /** Mean seconds between random pushes; 0 = none. */
  pushEverySeconds?: number;
  pushMagnitude?: number;
  /** Seconds of history sent to a page that connects late. */
  historySeconds?: number;
  seed?: number;
  /** Wall-clock period of the pacing timer, ms. */
  tickMs?: number;
}

export async function startLiveRollout(options: LiveOptions): Promise<LiveRollout> {
  // A robot that carries a depth camera shows what it sees beside the scene (the sim's renderer).
  const camera = options.plantOptions.robot?.perception?.depthCamera;
  const plant = await createPlant({ ...options.plantOptions, ...(camera ? { perception: { depth: true, heightScan: false } } : {}) });
  const robot: RobotConfig = plant.robot;
  let lastDepthS = NaN;
  const controller = options.controller;
  const rng = new Rng(options.seed ?? 1);
  const pushEvery = options.pushEverySeconds ?? 5;
  const pushMag = options.pushMagnitude ?? 0.3;
  const historyFrames = Math.ceil((options.historySeconds ?? 30) / plant.controlDt);
  const obs = new Float32Array(OBS_SIZE);
  const raw = new Float32Array(ACTION_SIZE);
  const safe = new Float32Array(ACTION_SIZE);
  const torque = new Float64Array(ACTION_SIZE);
  const rawTorque = new Float64Array(ACTION_SIZE);
  const command = new Float64Array(3);
  const frames: EpisodeFrame[] = [];
  const events: EpisodeEvent[] = [];
  const listeners = new Set<(m: LiveMessage) => void>();
  let clipping = false;
  let nextPushAt = pushEvery > 0 ? rng.uniform(0.5, 1.5) * pushEvery : Infinity;
  let fellAt: number | null = null;
  let resetRequested = false;
  let stopped = false;
  // Sim time restarts at each reset; the stream's time keeps counting.
  let timeOffset = 0;
  let lastT = 0;

  const emit = (m: LiveMessage) => {
    for (const l of listeners) l(m);
  };
  const addEvent = (e: EpisodeEvent) => {
    events.push(e);
    while (events.length && events[0].t < e.t - historyFrames * plant.controlDt) events.shift();
    emit({ type: 'event', event: e });
  };

  const stepOnce = async (): Promise<EpisodeFrame> => {
    const t = timeOffset + plant.truth().timeS;
    if (resetRequested || (fellAt !== null && t - fellAt > 1)) {
      timeOffset = lastT + plant.controlDt;
      plant.reset({ seed: rng.int(1 << 30) });
      addEvent({ t: timeOffset, kind: 'note', text: resetRequested ? 'reset' : 'reset after fall' });
      resetRequested = false;
      fellAt = null;
      raw.fill(0);
      safe.fill(0);
      controller.reset();
      nextPushAt = timeOffset + (pushEvery > 0 ? rng.uniform(0.5, 1.5) * pushEvery : Infinity);
    }
    if (timeOffset + plant.truth().timeS >= nextPushAt) {
      const angle = rng.uniform(0, 2 * Math.PI);
      doPush(pushMag * Math.cos(angle), pushMag * Math.sin(angle));
      nextPushAt += rng.uniform(0.5, 1.5) * pushEvery;
    }
    buildObservation(plant.sensors(), safe, command, obs);
    controller.act(obs, raw);
    const clipped = clipAction(raw, safe);
    actionToTorque(safe, controller.maxTorqueNm, torque);
    actionToTorque(raw, controller.maxTorqueNm, rawTorque);
    plant.applyCommand(torque);
    plant.stepControl();
    const truth = plant.truth();
    const frame: EpisodeFrame = {
      t: timeOffset + truth.timeS,
      ballPosition: Array.from(truth.ballPosition),
      ballOrientation: Array.from(truth.ballOrientation),
      bodyOrientation: Array.from(truth.bodyOrientation),
      tiltRad: truth.tiltRad,
      wheelVelocity: Array.from(truth.wheelVelocity),
      wheelTorque: Array.from(truth.wheelTorque),
      rawTorque: Array.from(rawTorque),
      safeTorque: Array.from(torque),
      command: Array.from(command),
    };
    const depth = camera ? plant.perceptionFrame?.(DEPTH_INPUT) : null;
    if (camera && depth && depth.capturedAtS !== lastDepthS) {
      lastDepthS = depth.capturedAtS;
      frame.depth = { width: camera.width, height: camera.height, maxRange: camera.maxRange, data: Array.from(depth.data, (v) => Math.round(v * 1000) / 1000) };
    }
    lastT = frame.t;
    if (clipped && !clipping) addEvent({ t: frame.t, kind: 'safety', rule: 'clip', text: 'action clipped to [-1, 1]' });
    clipping = clipped;
    if (truth.fallen && fellAt === null) {
      fellAt = frame.t;
      addEvent({ t: frame.t, kind: 'safety', rule: 'fell', text: `tilt ${((truth.tiltRad * 180) / Math.PI).toFixed(1)} deg` });
    }
    return frame;
  };

  const doPush = (dvx: number, dvy: number) => {
    plant.push(dvx, dvy);
    addEvent({ t: timeOffset + plant.truth().timeS, kind: 'push', dv: [dvx, dvy] });
  };

  // Real-time pacing: each timer tick runs the control steps that wall time says are due.
  const tickMs = options.tickMs ?? 20;
  const startWall = performance.now();
  let stepsDone = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    (async () => {
      const due = Math.min(Math.floor((performance.now() - startWall) / 1000 / plant.controlDt) - stepsDone, 100);
      const batch: EpisodeFrame[] = [];
      for (let i = 0; i < due && !stopped; i++) batch.push(await stepOnce());
      stepsDone += Math.max(due, 0);
      if (due >= 100) stepsDone = Math.floor((performance.now() - startWall) / 1000 / plant.controlDt); // fell behind: skip, do not catch up
      if (batch.length) {
        frames.push(...batch);
        if (frames.length > historyFrames) frames.splice(0, frames.length - historyFrames);
        emit({ type: 'frames', frames: batch });
      }
    })()
      .catch((err: Error) => {
        console.error(`ballbot view --live: rollout stopped: ${err.message}`);
        stopped = true;
        clearInterval(timer);
      })
      .finally(() => {
        busy = false;
      });
  }, tickMs);

  // Drawn once: the plant keeps its terrain for the whole live session.
  const liveTerrain = terrainForRecording(plant.terrain());
  return {
    snapshot: () => ({
      title: `live: ${controller.name} on ${robot.name}`,
      kind: 'live',
      robot: episodeRobot(robot),
      terrain: liveTerrain,
      controlDt: plant.controlDt,
      frames: frames.slice(),
      events: events.slice(),
    }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push: doPush,
    setCommand(vx, vy, yawRate) {
      command[0] = vx;
      command[1] = vy;
      command[2] = yawRate;
    },
    reset() {
      resetRequested = true;
    },
    close() {
      stopped = true;
      clearInterval(timer);
      listeners.clear();
      controller.close();
      plant.close();
    },
  };
}
