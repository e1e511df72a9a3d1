// `ballbot deploy` end to end: flags, --inject, the JSON contract on the last stdout line,
// exit codes, and a clear refusal of a mismatched policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { robot, WIDE_TIMING_FLAGS } from './harness.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const deploy = (args: string[]) => spawnSync(process.execPath, [BIN, 'deploy', ...args], { encoding: 'utf8', input: '', timeout: 60_000 });

test('--inject nan@0.6s with --json: one JSON object last, with the required fields and the e-stop', () => {
  const policy = writeRandomPolicy({ robot, rateHz: 100, weightScale: 0.02 });
  const r = deploy(['--policy', policy, '--link', 'sim', '--arm', '--seconds', '1.2', '--json', '--inject', 'nan@0.6s',
    '--set', 'sim.randomize=false', '--set', 'sim.initTiltDeg=0', ...WIDE_TIMING_FLAGS]);
  assert.equal(r.status, 3, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const s = JSON.parse(lines[lines.length - 1]);
  for (const key of ['ticks', 'missedDeadlines', 'latenessUsP50', 'latenessUsP99', 'computeUsP99', 'estops', 'fell']) assert.ok(key in s, `missing ${key}`);
  assert.ok(s.ticks + s.missedDeadlines >= 100, `${s.ticks} ticks + ${s.missedDeadlines} missed`);
  assert.equal(s.estops.length, 1);
  assert.equal(s.estops[0].rule, 'nonFinite');
  assert.equal(typeof s.estops[0].atTick, 'number');
  assert.match(s.estops[0].reason, /observation\[3\] is NaN/);
  assert.match(r.stderr, /\[nonFinite\] estop/);
});

test('a policy for another rate is refused with exit code 2 and says what differs', () => {
  const policy = writeRandomPolicy({ robot, rateHz: 200 });
  const r = deploy(['--policy', policy, '--arm', '--seconds', '1', '--json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /control rate: artifact trained at 200 Hz, deploy runs at 100 Hz/);
  assert.equal(r.stdout.trim(), '');
});

test('bad flags are usage errors naming the flag', () => {
  const r = deploy(['--controller', 'lqr', '--inject', 'smoke@1s']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown fault 'smoke'/);
  const r2 = deploy(['--controller', 'lqr', '--link', 'carrier-pigeon']);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /--link must be sim, serial or ros2/);
  const r3 = deploy(['--controller', 'lqr', '--link', 'serial']);
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /--port/);
});
