// bench:firmware: the firmware on its targets, measured in one run so they compare:
//  qemu  the Cortex-M3 build booted on QEMU's LM3S6965 board, its UART a QEMU pty
//  host  the host port (gcc) on a socat pty pair
//  1. Round trip at 100 and 200 Hz: the serial link streams COMMAND + ping every tick and the
//     firmware echoes each ping at once; p50/p99/max and jitter (standard deviation) of the echo.
//  2. Link cut: armed and commanded, the firmware's link is cut; how long after the last command
//     its watchdog (run from its control tick) zeroed torque, in firmware time, and how long
//     after the cut the simulator saw zero torque, in host time. Repeated --cuts times.
//  3. Flash and RAM of the Cortex-M3 image (its build's size report).
// Prints one JSON object on the last stdout line.
//   npm run bench:firmware -- --json [--seconds 10] [--cuts 5] [--targets qemu,host]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { createSerialLink, type SerialLink } from '../deploy/links/serial-link.js';
import { buildMcuFirmware } from '../firmware-bridge/firmware-build.js';
import { MODE } from '../firmware-bridge/messages.js';
import { FIRMWARE_TARGETS, type FirmwareTarget } from '../hil/firmware-process.js';
import { VirtualRobot } from '../hil/serial-virtual-robot.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, seconds: { type: 'string' }, cuts: { type: 'string' }, targets: { type: 'string' } } });
const seconds = Number(values.seconds ?? 10);
const cuts = Number(values.cuts ?? 5);
const targets = (values.targets ?? 'qemu,host').split(',') as FirmwareTarget[];
for (const t of targets) if (!FIRMWARE_TARGETS.includes(t)) throw new Error(`bench:firmware: --targets: unknown target '${t}' (available: ${FIRMWARE_TARGETS.join(', ')})`);
if (!(seconds > 0) || !(cuts >= 1)) throw new Error('bench:firmware: --seconds and --cuts must be positive');

const WATCHDOG_MS = 100;
/** The QEMU board's hardware watchdog: wide, so an emulator stalled by a loaded machine (or by
 * the pty's blocking writes while the host reopens it) is not reset in the middle of a measurement. */
const HW_WATCHDOG_MS = 1000;
/** STATE stream (and plant) rate during the measurements: a board streaming at its control rate. */
const STATE_RATE_HZ = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length));
  return { samples: s.length, p50: r3(pct(s, 50)), p99: r3(pct(s, 99)), max: r3(s[s.length - 1] ?? NaN), jitterSd: r3(sd) };
};
const bar = (label: string, total: number) => {
  const b = new cliProgress.SingleBar({ format: `bench:firmware ${label} [{bar}] {value}/{total} | {rate}/s | ETA {eta}s`, stream: process.stderr }, cliProgress.Presets.shades_classic);
  b.start(total, 0, { rate: '0' });
  return b;
};

/** COMMAND + ping every tick at rateHz on absolute deadlines; the echo times. */
async function roundTrip(vr: VirtualRobot, target: string, rateHz: number) {
  const rtts: number[] = [];
  const link = createSerialLink({ path: vr.hostPort, pingEvery: 1, rateHz, handshakeTimeoutMs: 10_000, onRtt: (ms) => rtts.push(ms) });
  await link.connect();
  const total = Math.round(seconds * rateHz);
  const torques = new Float64Array(3);
  const b = bar(`${target} round trip ${rateHz} Hz`, total);
  const period = 1000 / rateHz;
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = t0 + k * period - performance.now();
    if (wait > 0) await sleep(wait); // sleep, never spin: a spinning thread would delay the echo itself
    link.sendCommand(torques, k);
    if (k % rateHz === 0) b.update(k, { rate: (k / ((performance.now() - t0) / 1000)).toFixed(0) });
  }
  b.update(total);
  b.stop();
  await sleep(500); // the last echoes
  await link.close();
  return { rateHz, pings: total, ...stats(rtts) };
}

/** Arm, command, cut: the firmware watchdog's time to zero torque, `cuts` times. */
async function linkCuts(vr: VirtualRobot, target: string) {
  const fwMs: number[] = [], hostMs: number[] = [];
  let noTrip = 0;
  const link: SerialLink = createSerialLink({ path: vr.hostPort, rateHz: 100, handshakeTimeoutMs: 10_000 });
  await link.connect();
  const torques = new Float64Array([0.2, 0.2, 0.2]);
  let seq = 0;
  const commander = setInterval(() => link.sendCommand(torques, seq++), 10);
  const b = bar(`${target} link cuts`, cuts);
  try {
    for (let i = 0; i < cuts; i++) {
      const end = performance.now() + 10_000;
      while (!(vr.report.mode === MODE.ARMED && vr.report.torque[0] !== 0)) {
        if (performance.now() > end) throw new Error(`bench:firmware: ${target} did not arm (mode ${vr.report.mode})`);
        if (vr.report.mode !== MODE.ARMED) link.sendArm();
        await sleep(100);
      }
      const trips0 = vr.report.watchdogTrips;
      vr.cutLink();
      const tCut = performance.now();
      while (vr.report.watchdogTrips === trips0 && performance.now() - tCut < 5000) await sleep(1);
      if (vr.report.watchdogTrips === trips0) noTrip++; // reported, never hidden: a stalled emulator or host
      else {
        fwMs.push(((vr.report.watchdogTripUs - vr.report.watchdogLastFeedUs) >>> 0) / 1000);
        hostMs.push(vr.lastZeroedAtMs - tCut);
      }
      vr.restoreLink();
      vr.resetPlant(0);
      b.update(i + 1);
    }
  } finally {
    b.stop();
    clearInterval(commander);
    await link.close();
  }
  return { watchdogMs: WATCHDOG_MS, cuts, cutsWithoutTripWithin5s: noTrip, zeroAfterLastCommandMs: stats(fwMs), zeroAfterCutHostMs: stats(hostMs) };
}

const results: Record<string, unknown> = {};
const load0 = loadavg()[0];
for (const target of targets) {
  const vr = await VirtualRobot.start({ target, stateRateHz: STATE_RATE_HZ, watchdogMs: WATCHDOG_MS, hwWatchdogMs: HW_WATCHDOG_MS, log: (l) => process.stderr.write(`bench:firmware ${target}: ${l}\n`) });
  try {
    const rt100 = await roundTrip(vr, target, 100);
    const rt200 = await roundTrip(vr, target, 200);
    const cut = await linkCuts(vr, target);
    results[target] = { firmware: vr.firmwareDescription, roundTrip: [rt100, rt200], linkCut: cut, hwWatchdogWarnings: vr.report.hwWatchdogWarnings, boots: vr.report.boots };
    process.stderr.write(`bench:firmware ${target}: round trip 100 Hz p50 ${rt100.p50} / p99 ${rt100.p99} ms, 200 Hz p50 ${rt200.p50} / p99 ${rt200.p99} ms; ` +
      `link cut: zero torque ${cut.zeroAfterLastCommandMs.p50} ms (max ${cut.zeroAfterLastCommandMs.max}) after the last command\n`);
  } finally {
    await vr.close();
  }
}
const mcu = buildMcuFirmware();
const result = { bench: 'firmware', loadAverage: [r3(load0), r3(loadavg()[0])], targets: results, mcuSize: { board: mcu.board, ...mcu.size } };
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
else console.log(JSON.stringify(result, null, 2));
