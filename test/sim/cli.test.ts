// The `ballbot sim` command-line contract other tools rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readRecording } from '../../sim/recording.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const run = promisify(execFile);

async function simJson(...args: string[]) {
  const { stdout } = await run(process.execPath, [BIN, 'sim', ...args, '--json']);
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

test('sim --json: LQR stays up, zero torque falls, with the documented fields', async () => {
  const lqr = await simJson('--task', 'balance', '--controller', 'lqr', '--seconds', '6', '--seed', '1', '--init-tilt-deg', '5');
  for (const key of ['fell', 'maxTiltDeg', 'maxTiltDegAfter3s', 'simSeconds', 'finalDistanceM']) assert.ok(key in lqr, `missing ${key}`);
  assert.equal(lqr.fell, false);
  assert.equal(lqr.simSeconds, 6);
  assert.ok(lqr.maxTiltDeg >= 4.9 && lqr.maxTiltDegAfter3s < 2, JSON.stringify(lqr));
  const zero = await simJson('--controller', 'zero', '--init-tilt-deg', '2', '--seconds', '3');
  assert.equal(zero.fell, true);
  assert.ok(zero.simSeconds < 3 && zero.maxTiltDeg > 20);
});

test('sim --push --record writes a recording the viewer reads, with the push in it', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'ballbot-sim-')), 'ep.jsonl');
  const result = await simJson('--seconds', '3', '--push', '1:0.5,0', '--record', file);
  assert.equal(result.fell, false);
  const rec = readRecording(file);
  assert.equal(rec.frames.length, 299); // the last step has auto-reset: not recorded
  const pushes = rec.events.filter((e) => e.kind === 'push');
  assert.equal(pushes.length, 1);
  assert.ok(Math.abs(pushes[0].t - 1) < 0.011);
  assert.equal(rec.header.terrain.kind, 'flat');
});

test('bad flags fail with a message naming the flag', async () => {
  await assert.rejects(run(process.execPath, [BIN, 'sim', '--seconds', 'soon']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 2);
    assert.match(err.stderr, /--seconds must be a number/);
    return true;
  });
  await assert.rejects(run(process.execPath, [BIN, 'sim', '--push', 'later']), /must look like S:VX,VY/);
});
