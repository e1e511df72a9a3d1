// Telemetry never starves the loop: a full disk (a real 64 KiB tmpfs) stops the recording with
// one warning while the run goes on and the robot keeps balancing; a disk that stops taking
// bytes (a FIFO nobody reads) never blocks log(), and the queue stays within its bound.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Telemetry } from '../../deploy/telemetry.js';
import { robot, runOnSim, testConfig } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ballbot-disk-'));
const small = join(dir, 'small');

before(() => {
  mkdirSync(small);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { encoding: 'utf8' });
  assert.equal(r.status, 0, `this test needs a 64 KiB tmpfs (mount needs root): ${r.stderr}`);
});
after(() => {
  spawnSync('umount', [small]);
  rmSync(dir, { recursive: true, force: true });
});

test('disk full mid-run: the recording stops with one warning, the loop runs on, the robot balances', async () => {
  const lines: string[] = [];
  const file = join(small, 'run.mcap');
  const { summary } = await runOnSim({
    controller: 'lqr', robot, config: testConfig(['telemetry.chunkBytes=4096']), arm: true, seconds: 5, record: file, log: (l) => lines.push(l),
  });
  assert.match(summary.telemetryError ?? '', /ENOSPC/);
  assert.ok((summary.telemetryDropped ?? 0) > 0);
  assert.equal(lines.filter((l) => /recording .* stopped: .*ENOSPC.*the control loop runs on/.test(l)).length, 1, lines.join('\n'));
  assert.equal(summary.ticks, 500, 'every tick of the 5 s ran');
  assert.deepEqual(summary.estops, []);
  assert.equal(summary.fell, false);
  assert.equal(summary.finalMode, 'RUNNING');
});

test('a recording that cannot even start (/dev/full) is refused before anything moves, naming the file', async () => {
  await assert.rejects(runOnSim({ controller: 'lqr', robot, config: testConfig(), arm: true, seconds: 1, record: '/dev/full' }), /--record \/dev\/full: cannot write the recording: .*ENOSPC/);
});

test('a disk that stops taking bytes never blocks log(); the queue drops beyond its bound', async () => {
  const fifo = join(dir, 'stuck.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // A reader that never reads: writes fill the pipe (64 KiB) and then wait forever.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const warnings: string[] = [];
  const t = await Telemetry.open(fifo, { chunkBytes: 4096, channels: ['timing'], maxQueueBytes: 64 * 1024, warn: (l) => warnings.push(l) });
  const message = { tick: 0, deadlineMs: 0, latenessUs: 1, computeUs: 2, padding: 'x'.repeat(200) };
  for (let i = 0; i < 20_000; i++) { message.tick = i; t.log('timing', performance.now(), message); }
  // 20 000 x ~300 bytes = 6 MB offered; at most 64 KiB queued plus what the pipe took.
  assert.ok(t.dropped > 15_000, `${t.dropped} dropped`);
  assert.ok(t.counts.timing < 5000, `${t.counts.timing} queued`);
  // The reader goes away: the stuck writes fail (EPIPE), the recording stops, close() returns.
  closeSync(reader);
  await assert.rejects(t.close(), /telemetry .*stuck\.fifo: .*EPIPE/);
  assert.equal(warnings.length, 1);
});
