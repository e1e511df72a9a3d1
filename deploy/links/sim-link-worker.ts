// The simulated robot behind the sim link: a Plant stepped in real time on absolute
// deadlines in its own thread, like firmware on a microcontroller. It publishes sensor
// states (with delivery latency, dropouts, extra noise) and applies the newest command
// (with command latency) through shared memory, so the controller's thread never runs
// physics and the robot keeps moving whatever the controller does.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { createPlant } from '../../sim/plant.js';
import type { RobotConfig } from '../../sim/config/robot.js';
import { Rng } from '../../sim/rng.js';
import { C, I, S, type SimLinkMessage, type SimLinkWorkerData } from './sim-link-protocol.js';
import type { TaskPerception } from '../../sim/perception/config.js';
import { SharedFramesWriter, type SharedFramesLayout } from './shared-frames.js';

const cfg = workerData as SimLinkWorkerData;
const ints = new Int32Array(cfg.ints);
const state = new Float64Array(cfg.state);
const cmd = new Float64Array(cfg.cmd);
const offsetMs = performance.timeOrigin - cfg.mainTimeOrigin;
const now = () => performance.now() + offsetMs;
const rng = new Rng(cfg.seed ^ 0x51a1);

const plant = await createPlant({ robot: cfg.robot as RobotConfig, seed: cfg.seed, randomize: cfg.randomize, initTiltDeg: cfg.initTiltDeg, perception: cfg.perception as TaskPerception | undefined });
const frames = cfg.frames ? new SharedFramesWriter(cfg.frames as SharedFramesLayout) : null;
const dtMs = plant.controlDt * 1000;
// Warm up the JIT and the physics before real time starts, so the first steps are not late.
for (let i = 0; i < 100; i++) { plant.applyCommand([0, 0, 0]); plant.stepControl(); plant.sensors(); plant.truth(); }
plant.reset({ seed: cfg.seed, initTiltDeg: cfg.initTiltDeg });

// Faults, switched on by messages from main.
let stale = false, nan = false, tilted = false;
// Held upright at the start pose (as an operator holds a ballbot) until the first arm.
let held = true;
const tiltHalf = (cfg.injectTiltDeg * Math.PI) / 360;
const inbox = cfg.port as MessagePort;
function handle(m: SimLinkMessage): void {
  switch (m.kind) {
    case 'stale': stale = true; break;
    case 'nan': nan = true; break;
    case 'tilt': tilted = true; break;
    case 'linkdown': Atomics.store(ints, I.LINK_OK, 0); stale = true; break;
    case 'push': plant.push(m.dvx, m.dvy); break;
    case 'estop': Atomics.store(ints, I.ESTOPPED, 1); break;
    case 'arm': Atomics.store(ints, I.ESTOPPED, 0); held = false; break;
  }
}

// Pending states waiting out the delivery latency: a ring of fixed slots.
const RING = 64;
const SLOT = 12; // stamp, q4, gyro3, wheel3, fault
const pending = new Float64Array(RING * SLOT);
let head = 0, tail = 0;

// Commands waiting out the command latency.
const CRING = 64;
const cmdRing = new Float64Array(CRING * 4); // receivedMs, t0, t1, t2
let cHead = 0, cTail = 0, lastCmdSeq = 0;
const applied = new Float64Array(3);
const zero = new Float64Array(3);

function pollCommand(t: number): void {
  for (let tries = 0; tries < 8; tries++) {
    const s1 = Atomics.load(ints, I.CMD_SEQ);
    if (s1 === lastCmdSeq || s1 & 1) return;
    const a = cmd[C.TORQUE], b = cmd[C.TORQUE + 1], c = cmd[C.TORQUE + 2], sentMs = cmd[C.SENT_MS];
    if (Atomics.load(ints, I.CMD_SEQ) !== s1) continue;
    lastCmdSeq = s1;
    const o = (cTail % CRING) * 4;
    // Stamped with its send time, not this (possibly late) poll: a real robot would have had it then.
    cmdRing[o] = Math.min(t, sentMs); cmdRing[o + 1] = a; cmdRing[o + 2] = b; cmdRing[o + 3] = c;
    cTail++;
    if (cTail - cHead > CRING) cHead = cTail - CRING;
    Atomics.add(ints, I.COMMANDS, 1);
    return;
  }
}

function takeDueCommand(t: number): void {
  while (cHead < cTail && cmdRing[(cHead % CRING) * 4] + cfg.commandLatencyMs <= t) {
    const o = (cHead % CRING) * 4;
    applied[0] = cmdRing[o + 1]; applied[1] = cmdRing[o + 2]; applied[2] = cmdRing[o + 3];
    cHead++;
  }
}

function sample(t: number): void {
  const s = plant.sensors();
  if (rng.next() < cfg.dropoutProb) { Atomics.add(ints, I.DROPPED, 1); return; }
  if (stale) return;
  const o = (tail % RING) * SLOT;
  pending[o] = t;
  for (let i = 0; i < 4; i++) pending[o + 1 + i] = s.orientation[i];
  for (let i = 0; i < 3; i++) {
    pending[o + 5 + i] = s.gyro[i] + (cfg.gyroNoise > 0 ? cfg.gyroNoise * rng.normal() : 0);
    pending[o + 8 + i] = s.wheelVelocity[i];
  }
  if (tilted) { pending[o + 1] = Math.sin(tiltHalf); pending[o + 2] = 0; pending[o + 3] = 0; pending[o + 4] = Math.cos(tiltHalf); }
  if (nan) pending[o + 5] = NaN;
  pending[o + 11] = 0;
  tail++;
  if (tail - head > RING) head = tail - RING;
}

function publishDue(t: number): void {
  let last = -1;
  while (head < tail && pending[(head % RING) * SLOT] + cfg.stateLatencyMs <= t) { last = head; head++; }
  if (last < 0) return;
  const o = (last % RING) * SLOT;
  const seq = Atomics.add(ints, I.STATE_SEQ, 1) + 1; // odd: writing
  for (let i = 0; i < 12; i++) state[S.STAMP + i] = pending[o + i];
  Atomics.store(ints, I.STATE_SEQ, seq + 1);
  Atomics.add(ints, I.PUBLISHED, 1);
}

/** Perception frames as the sensors deliver them (after their latency), stamped with their capture time. */
function publishFrames(): void {
  if (!frames) return;
  const inputs = frames.layout.inputs;
  for (let i = 0; i < inputs.length; i++) {
    const r = plant.perceptionFrame?.(inputs[i]);
    if (r) frames.publish(i, start + r.capturedAtS * 1000, r.data);
  }
}

function writeTruth(t: number): void {
  const tr = plant.truth();
  const seq = Atomics.add(ints, I.STATE_SEQ, 1) + 1;
  state[S.T_TIME] = tr.timeS;
  state[S.T_TILT] = tr.tiltRad;
  for (let i = 0; i < 3; i++) {
    state[S.T_BALL_POS + i] = tr.ballPosition[i];
    state[S.T_BALL_VEL + i] = tr.ballVelocity[i];
    state[S.T_WHEEL_TORQUE + i] = tr.wheelTorque[i];
  }
  for (let i = 0; i < 4; i++) { state[S.T_BODY_Q + i] = tr.bodyOrientation[i]; state[S.T_BALL_Q + i] = tr.ballOrientation[i]; }
  state[S.T_STAMP] = t;
  Atomics.store(ints, I.STATE_SEQ, seq + 1);
  if (tr.fallen) Atomics.store(ints, I.EVER_FALLEN, 1);
}

Atomics.store(ints, I.LINK_OK, 1);
const start = now() + 5;
let k = 0;
sample(start);
publishFrames();
writeTruth(start);
parentPort!.postMessage('ready');

// A plain loop: messages (faults, pushes) are polled synchronously between waits, so the
// robot's timing never depends on this thread's event loop.
for (;;) {
  if (Atomics.load(ints, I.STOP) !== 0) break;
  for (let m; (m = receiveMessageOnPort(inbox)); ) handle(m.message as SimLinkMessage);
  const nextStep = start + (k + 1) * dtMs;
  const nextPublish = head < tail ? pending[(head % RING) * SLOT] + cfg.stateLatencyMs : Infinity;
  const wakeAt = Math.min(nextStep, nextPublish);
  const sleep = wakeAt - now();
  if (sleep > 0) Atomics.wait(ints, I.STOP, 0, Math.min(sleep, 20));
  const t = now();
  pollCommand(t);
  if (t >= nextStep) {
    // Steps missed by a late wake are simulated now (physics time stays tied to wall time).
    let due = Math.floor((t - start) / dtMs) - k;
    if (due > 20) { k += due - 20; due = 20; } // a stall this long: let physics fall behind rather than freeze
    for (let n = 0; n < due; n++) {
      takeDueCommand(start + (k + 1) * dtMs); // each caught-up step gets the command it would have had in time
      plant.applyCommand(Atomics.load(ints, I.ESTOPPED) ? zero : applied);
      if (!held) plant.stepControl(); // held: the robot stays still at its start pose
      else plant.stepPerception?.(); // and its sensors still see
      k++;
    }
    sample(start + k * dtMs);
    publishFrames();
    writeTruth(t);
  }
  publishDue(now());
}
plant.close();
inbox.close();
