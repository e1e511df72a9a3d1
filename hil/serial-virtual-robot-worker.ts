// Worker-thread entry of the virtual robot: the plant loop gets a thread of its own, so the
// host's control loop (deploy, on the main thread) and the simulated robot cannot stall each
// other, as a real robot and its host cannot.
import { parentPort, workerData } from 'node:worker_threads';
import { VirtualRobot, type VirtualRobotOptions } from './serial-virtual-robot.js';
import type { RemoteCommand, RemoteUpdate } from './serial-virtual-robot-remote.js';

const port = parentPort!;
const vr = await VirtualRobot.start({ ...(workerData as VirtualRobotOptions), log: (line) => port.postMessage({ kind: 'log', line } satisfies RemoteUpdate) });
let truth = vr.truth();
let lastPostMs = 0;
let lastMode = -1;
let peakTilt = 0;
let fellSincePost = false;
/** At most every 20 ms (the peak tilt in between is kept), but at once when the firmware's mode changes. */
const maybePost = () => {
  const now = performance.now();
  if (now - lastPostMs < 20 && vr.report.mode === lastMode) return;
  lastPostMs = now;
  lastMode = vr.report.mode;
  post();
  peakTilt = 0;
  fellSincePost = false;
};
const post = () => {
  const u: RemoteUpdate = {
    kind: 'update', report: { ...vr.report, torque: Array.from(vr.report.torque) }, lastZeroedAtMs: vr.lastZeroedAtMs,
    ticks: vr.ticks, missedTicks: vr.missedTicks, tiltRad: truth.tiltRad, peakTiltRad: Math.max(peakTilt, truth.tiltRad),
    fallen: truth.fallen || fellSincePost, timeS: truth.timeS,
  };
  port.postMessage(u);
};
vr.onStep = (t) => {
  truth = t;
  if (t.tiltRad > peakTilt) peakTilt = t.tiltRad;
  if (t.fallen) fellSincePost = true;
  maybePost();
};
vr.onReport = maybePost;
port.postMessage({ kind: 'ready', hostPort: vr.hostPort, timeOrigin: performance.timeOrigin, controlDt: vr.controlDt, maxTorqueNm: vr.maxTorqueNm } satisfies RemoteUpdate);
port.on('message', async (m: RemoteCommand) => {
  switch (m.kind) {
    case 'push': vr.push(m.dvx, m.dvy); break;
    case 'reset': vr.resetPlant(m.initTiltDeg); truth = vr.truth(); break;
    case 'cut': vr.cutLink(); break;
    case 'restore': vr.restoreLink(); break;
    case 'corrupt': vr.setCorruption(m.probability, m.seed); break;
    case 'close':
      await vr.close();
      port.postMessage({ kind: 'closed' } satisfies RemoteUpdate);
      port.close();
      break;
  }
});
