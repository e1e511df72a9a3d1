// bench:link: the serial link over a real pty pair (socat) to the gcc-built C firmware.
//  1. Round trip at the control rate: the SerialLink streams COMMAND + ping at --rate Hz and
//     the firmware echoes each ping at once; p50/p99/max of the echo time.
//  2. Highest sustainable frame rate: COMMAND frames written open-loop at rising rates for 1 s
//     each; a rate is sustained when the firmware decoded every frame (no loss, no bad frame,
//     no gap). The ping round trip p99 under that load is reported alongside.
// Prints one JSON object on the last stdout line.
//   npm run bench:link -- --json [--rate 200] [--seconds 10]
import { parseArgs } from 'node:util';
import { SerialPort } from 'serialport';
import cliProgress from 'cli-progress';
import { FrameDecoder, FrameEncoder, newCommand, newHeartbeat, newHello } from '../firmware-bridge/codec.js';
import { MSG, PROTOCOL_VERSION, SCHEMA_HASH } from '../firmware-bridge/messages.js';
import { VirtualRobot } from '../hil/serial-virtual-robot.js';
import { createSerialLink } from '../deploy/links/serial-link.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, rate: { type: 'string' }, seconds: { type: 'string' } } });
const rateHz = Number(values.rate ?? 200);
const seconds = Number(values.seconds ?? 10);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gcc-built firmware behind a pty (a virtual robot with a 10 Hz sensor stream, so the
 * firmware's STATE frames barely load the link); counters() waits for its next report. */
async function startFirmware() {
  const vr = await VirtualRobot.start({ stateRateHz: 10, watchdogMs: 100, maxTorqueNm: 1.98 });
  /** Firmware counters: frames decoded OK, bad, gaps. */
  const counters = () => new Promise<{ ok: number; bad: number; gaps: number }>((resolve) => {
    vr.onReport = () => {
      vr.onReport = null;
      resolve({ ok: vr.report.rxFramesOk, bad: vr.report.rxBad, gaps: vr.report.rxGaps });
    };
  });
  return { port: vr.hostPort, counters, close: () => vr.close() };
}

async function roundTrip(port: string) {
  const rtts: number[] = [];
  const link = createSerialLink({ path: port, pingEvery: 1, rateHz, onRtt: (ms) => rtts.push(ms) });
  await link.connect();
  const total = Math.round(seconds * rateHz);
  const torques = new Float64Array(3);
  const bar = new cliProgress.SingleBar({ format: 'bench:link round trip [{bar}] {value}/{total} ticks | ETA {eta}s', stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  const period = 1000 / rateHz;
  const t0 = performance.now();
  let late = 0;
  for (let k = 0; k < total; k++) {
    const deadline = t0 + k * period;
    const wait = deadline - performance.now();
    // Sleep, never spin: a spinning main thread would delay the echo's 'data' event itself.
    if (wait > 0) await sleep(wait);
    if (performance.now() - deadline > period) late++;
    link.sendCommand(torques, k);
    if (k % rateHz === 0) bar.update(k);
  }
  bar.update(total);
  bar.stop();
  await sleep(500); // let the last echoes arrive
  const h = link.health();
  await link.close();
  return {
    rateHz, seconds, samples: rtts.length, pings: total, lateTicks: late,
    rttMsP50: r3(pct(rtts, 50)), rttMsP99: r3(pct(rtts, 99)), rttMsMax: r3(Math.max(...rtts)),
    framesOk: h.framesOk, framesBad: h.framesBad,
  };
}

async function maxRate(fwCounters: () => Promise<{ ok: number; bad: number; gaps: number }>, portPath: string) {
  const port = new SerialPort({ path: portPath, baudRate: 921600, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const enc = new FrameEncoder();
  const cmd = newCommand();
  const ping = newHeartbeat();
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  const dec = new FrameDecoder((type) => {
    if (type !== MSG.HEARTBEAT) return;
    const t = sentAt.get(dec.heartbeat.controlSeq);
    if (t !== undefined) rtts.push(performance.now() - t);
  });
  port.on('data', (c: Buffer) => dec.feed(c));
  // A new session: HELLO resets the firmware's sequence tracking for this encoder.
  const hello = newHello();
  Object.assign(hello, { protocolVersion: PROTOCOL_VERSION, schemaHash: SCHEMA_HASH, controlRateHz: rateHz, nonce: 1 });
  port.write(Buffer.from(enc.out.subarray(0, enc.hello(hello))));
  await sleep(100);
  const results: { framesPerS: number; sent: number; received: number; bad: number; gaps: number; rttMsP99: number; sustained: boolean }[] = [];
  let best = 0;
  for (const target of [1000, 2000, 5000, 10000, 20000, 40000, 80000, 160000, 320000]) {
    const before = await fwCounters();
    rtts.length = 0;
    sentAt.clear();
    let sent = 0;
    const perMs = target / 1000;
    const t0 = performance.now();
    let owed = 0;
    let pingSeq = 0;
    while (performance.now() - t0 < 1000) {
      owed += perMs;
      const n = Math.floor(owed);
      owed -= n;
      const chunks: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        cmd.controlSeq = sent + i;
        chunks.push(Buffer.from(enc.out.subarray(0, enc.command(cmd))));
      }
      sent += n;
      ping.controlSeq = ++pingSeq;
      chunks.push(Buffer.from(enc.out.subarray(0, enc.heartbeat(ping))));
      sent++;
      sentAt.set(pingSeq, performance.now());
      port.write(Buffer.concat(chunks));
      await sleep(1);
    }
    await new Promise<void>((r) => port.drain(() => r()));
    // Settle: until the firmware's count stops moving (a loaded machine delays the last bytes).
    let after = await fwCounters();
    for (let i = 0; i < 20 && after.ok - before.ok < sent; i++) {
      await sleep(200);
      const again = await fwCounters();
      if (again.ok === after.ok) break;
      after = again;
    }
    const received = after.ok - before.ok, bad = after.bad - before.bad, gaps = after.gaps - before.gaps;
    const p99 = pct(rtts, 99);
    const sustained = received === sent && bad === 0 && gaps === 0;
    results.push({ framesPerS: sent, sent, received, bad, gaps, rttMsP99: r3(p99), sustained });
    process.stderr.write(`bench:link  ${target} frames/s target: sent ${sent}, firmware decoded ${received}, bad ${bad}, ping p99 ${p99.toFixed(2)} ms -> ${sustained ? 'sustained' : 'NOT sustained'}\n`);
    if (!sustained) break;
    best = sent;
  }
  await new Promise<void>((r) => port.close(() => r()));
  return { highestSustainedFramesPerS: best, steps: results };
}

const fw = await startFirmware();
try {
  const rt = await roundTrip(fw.port);
  process.stderr.write(`bench:link  round trip at ${rateHz} Hz: p50 ${rt.rttMsP50} ms, p99 ${rt.rttMsP99} ms, max ${rt.rttMsMax} ms\n`);
  const mr = await maxRate(fw.counters, fw.port);
  const result = { bench: 'link', transport: 'socat pty pair, serialport bindings, gcc host firmware', roundTrip: rt, maxRate: mr };
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else console.log(JSON.stringify(result, null, 2));
} finally {
  await fw.close();
}
