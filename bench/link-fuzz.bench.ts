// bench:fuzz: N (default 10 million) fuzzed and mutated frames through the TS stream decoder,
// then the same number through the C decoder (built with AddressSanitizer and UBSan, so a
// memory error aborts). Counts exceptions (must be 0) and false accepts (a frame delivered
// whose content differs from the frame that was sent; must be 0). Prints one JSON object on
// the last stdout line.
//   npm run bench:fuzz -- --json [--frames 10000000] [--seed 1] [--no-c]
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { FrameDecoder, FrameEncoder, newCommand, newState } from '../firmware-bridge/codec.js';
import { buildFirmware, firmwareSourceDir } from '../firmware-bridge/firmware-build.js';
import { MSG } from '../firmware-bridge/messages.js';
import { Rng } from '../sim/rng.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, frames: { type: 'string' }, seed: { type: 'string' }, 'no-c': { type: 'boolean' } } });
const total = Number(values.frames ?? 10_000_000);
const rng = new Rng(Number(values.seed ?? 1));
const u8 = () => rng.nextU32() & 0xff;
const below = (n: number) => rng.nextU32() % n;

const enc = new FrameEncoder();
const check = new FrameEncoder();
const state = newState();
const cmd = newCommand();
const original = new Uint8Array(128);
let originalLen = 0;
const buf = new Uint8Array(512);
let accepted = 0, falseAccepts = 0, exceptions = 0, trueAccepts = 0;
const kinds = { bitflips: 0, substitutions: 0, insertions: 0, deletions: 0, truncations: 0, garbage: 0, splices: 0, untouched: 0 };

/** On accept: re-encode what was decoded and compare with the frame that was sent. */
const decoder = new FrameDecoder((type, seq, d) => {
  accepted++;
  check.seq = seq;
  const n = type === MSG.STATE ? check.state(d.state) : type === MSG.COMMAND ? check.command(d.command) : -1;
  let same = n === originalLen;
  for (let i = 0; same && i < n; i++) same = check.out[i] === original[i];
  if (same) trueAccepts++;
  else falseAccepts++;
});

const finite = () => (rng.nextU32() / 2 ** 32 - 0.5) * 20;
function makeOriginal(): void {
  enc.seq = below(65536);
  let n: number;
  if (rng.nextU32() & 1) {
    state.timeUs = rng.nextU32(); state.commandSeqEcho = rng.nextU32(); state.batteryMv = below(65536); state.faultFlags = below(65536); state.mode = u8();
    for (let i = 0; i < 4; i++) state.orientation[i] = Math.fround(finite());
    for (let i = 0; i < 3; i++) { state.gyro[i] = Math.fround(finite()); state.wheelVelocity[i] = Math.fround(finite()); state.wheelTorque[i] = Math.fround(finite()); }
    n = enc.state(state);
  } else {
    cmd.controlSeq = rng.nextU32(); cmd.mode = u8();
    for (let i = 0; i < 3; i++) cmd.torque[i] = Math.fround(finite());
    n = enc.command(cmd);
  }
  original.set(enc.out.subarray(0, n));
  originalLen = n;
}

/** Mutate the original (with its delimiter) into buf; returns the length. */
function mutate(): number {
  let len = originalLen;
  buf.set(original.subarray(0, len));
  const r = below(100);
  if (r < 30) {
    kinds.bitflips++;
    const flips = 1 + below(8);
    for (let i = 0; i < flips; i++) buf[below(len)] ^= 1 << below(8);
  } else if (r < 50) {
    kinds.substitutions++;
    const k = 1 + below(4);
    for (let i = 0; i < k; i++) buf[below(len)] = u8();
  } else if (r < 60) {
    kinds.insertions++;
    const at = below(len);
    buf.copyWithin(at + 1, at, len);
    buf[at] = u8();
    len++;
  } else if (r < 70) {
    kinds.deletions++;
    const at = below(len - 1);
    buf.copyWithin(at, at + 1, len);
    len--;
  } else if (r < 78) {
    kinds.truncations++;
    len = 1 + below(len - 1);
    buf[len - 1] = 0;
  } else if (r < 90) {
    kinds.garbage++;
    len = 1 + below(200);
    for (let i = 0; i < len; i++) buf[i] = u8();
  } else if (r < 98) {
    kinds.splices++;
    // The head of this frame glued to random tail bytes.
    const cut = 1 + below(len - 1);
    const tail = below(40);
    for (let i = 0; i < tail; i++) buf[cut + i] = u8();
    len = cut + tail;
  } else {
    kinds.untouched++;
  }
  return len;
}

const bar = new cliProgress.SingleBar({ format: 'bench:fuzz [{bar}] {percentage}% | {value}/{total} frames | {rate}/s | ETA {eta}s', stream: process.stderr }, cliProgress.Presets.shades_classic);
bar.start(total, 0, { rate: '-' });
const t0 = performance.now();
const delimiter = Uint8Array.of(0);
for (let f = 0; f < total; f++) {
  makeOriginal();
  const len = mutate();
  decoder.resetSequence(); // each frame stands alone: sequence rules are tested elsewhere
  try {
    decoder.feed(buf, 0, len);
    decoder.feed(delimiter); // end whatever the mutation left open, as the next frame's delimiter would
  } catch {
    exceptions++;
  }
  if ((f & 0xffff) === 0) bar.update(f, { rate: Math.round(f / ((performance.now() - t0) / 1000)) });
}
bar.update(total);
bar.stop();
const seconds = (performance.now() - t0) / 1000;
const c = decoder.counters;
/** The C decoder under the sanitizers, same mutation mix (its own xorshift stream). */
function fuzzC(): { frames: number; accepted: number; trueAccepts: number; falseAccepts: number; crashed: boolean; seconds: number } | null {
  if (values['no-c']) return null;
  const build = buildFirmware();
  execFileSync('make', ['-s', '-C', firmwareSourceDir(), `BUILD=${build.dir}`, 'fuzz'], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.stderr.write(`bench:fuzz  C decoder (ASan + UBSan): ${total} frames ...\n`);
  const t = performance.now();
  const r = spawnSync(join(build.dir, 'bb_fuzz'), [String(total), String(Number(values.seed ?? 1) * 2654435761 >>> 0 || 1)], { encoding: 'utf8' });
  const [frames, accepted, trueAccepts, falseAccepts] = r.stdout.trim().split(' ').map(Number);
  const crashed = r.status !== 0 && falseAccepts === 0;
  if (crashed) process.stderr.write(r.stderr);
  return { frames, accepted, trueAccepts, falseAccepts, crashed, seconds: Math.round((performance.now() - t) / 100) / 10 };
}
const cResult = fuzzC();

const result = {
  bench: 'link-fuzz', frames: total, seconds: Math.round(seconds * 10) / 10, framesPerS: Math.round(total / seconds),
  exceptions, falseAccepts, accepted, trueAccepts, mutations: kinds,
  dropped: { badCrc: c.badCrc, tooLong: c.tooLong, unknownType: c.unknownType, malformed: c.malformed },
  c: cResult,
};
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
else console.log(JSON.stringify(result, null, 2));
process.exitCode = exceptions === 0 && falseAccepts === 0 && (!cResult || (cResult.falseAccepts === 0 && !cResult.crashed)) ? 0 : 1;
