// MCAP telemetry: a run's file reads back with @mcap/core with every channel and the
// expected counts; a run killed with SIGKILL leaves a file that reads up to its last chunk.
// Terminating signals (e-stop first, a clean file): signals.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFault } from '../../deploy/faults.js';
import { TELEMETRY_CHANNELS } from '../../deploy/telemetry.js';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { robot, runOnSim, sleep, spawnDeploy, testConfig, WIDE_TIMING_FLAGS } from './harness.js';
import { readMcap } from './mcap-read.js';

const dir = mkdtempSync(join(tmpdir(), 'ballbot-telemetry-'));

test('a recorded run reads back with every channel, one message per tick, and its safety events', async () => {
  const file = join(dir, 'run.mcap');
  const policy = writeRandomPolicy({ robot, rateHz: 100, weightScale: 0.02 });
  const { summary } = await runOnSim({ policy, config: testConfig(), arm: true, seconds: 1, record: file, faults: [parseFault('tilt@700ms')] });
  const back = readMcap(file);
  assert.equal(back.complete, true, 'closed cleanly with a footer');
  assert.equal(back.trailingBytes, 0);
  const topics = new Set(back.topics.values());
  for (const [name, ch] of Object.entries(TELEMETRY_CHANNELS)) {
    // Perception channels are for perceptive policies only (perception-links.test.ts).
    const perception = name === 'depth' || name === 'height_scan';
    assert.equal(topics.has(ch.topic), !perception, `channel ${ch.topic}`);
  }
  assert.equal(back.counts['/deploy/action'], summary.ticks);
  assert.equal(back.counts['/deploy/timing'], summary.ticks);
  assert.equal(back.counts['/sim/truth'], summary.ticks);
  assert.ok(back.counts['/deploy/state'] >= summary.ticks - 2 && back.counts['/deploy/state'] <= summary.ticks);
  assert.equal(back.counts['/deploy/observation'], back.counts['/deploy/state']);
  assert.equal(summary.telemetryMessages, back.messages.length);
  const estop = back.messages.find((m) => m.topic === '/deploy/safety' && m.data.effect === 'estop');
  assert.ok(estop, 'the e-stop is in the file');
  assert.equal(estop.data.rule, 'tiltCutoff');
  assert.equal(estop.data.tick, summary.estops[0].atTick);
  const modes = back.messages.filter((m) => m.topic === '/deploy/mode').map((m) => m.data.to);
  assert.ok(modes.includes('ARMING') && modes[modes.length - 1] === 'ESTOP');
  const actions = back.messages.filter((m) => m.topic === '/deploy/action');
  assert.equal(actions[0].data.safeTorqueNm.length, 3);
  const afterEstop = actions.filter((m) => m.data.tick >= estop.data.tick);
  assert.ok(afterEstop.length > 0 && afterEstop.every((m) => m.data.safeTorqueNm.every((v: number) => v === 0)));
  // Schemas are JSON schemas naming the fields.
  assert.ok((back.schemas.get('ballbot.action') as { properties: Record<string, unknown> }).properties.safeTorqueNm);
});


async function waitForSize(file: string, bytes: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try { if (statSync(file).size >= bytes) return; } catch { /* not created yet */ }
    await sleep(50);
  }
  throw new Error(`${file} did not reach ${bytes} bytes in ${timeoutMs} ms`);
}

test('SIGKILL mid-run leaves an MCAP file that reads up to its last complete chunk', async () => {
  const file = join(dir, 'killed.mcap');
  const run = spawnDeploy(['--controller', 'lqr', '--arm', '--record', file, '--set', 'telemetry.chunkBytes=4096', ...WIDE_TIMING_FLAGS]);
  try {
    // A wait for a loaded machine to start the run, not a speed check.
    await waitForSize(file, 120_000, 90_000);
  } finally {
    run.child.kill('SIGKILL');
  }
  await run.exited;
  const size = statSync(file).size;
  const back = readMcap(file);
  assert.equal(back.complete, false, 'no footer: the writer never got to close');
  assert.ok(back.trailingBytes < 4096 + 1024, `only the unfinished chunk is lost (${back.trailingBytes} of ${size} bytes)`);
  const ticks = back.messages.filter((m) => m.topic === '/deploy/timing').map((m) => m.data.tick as number);
  assert.ok(ticks.length > 20, `${ticks.length} ticks readable`);
  for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i] > ticks[i - 1], 'ticks in order, none garbled');
  assert.ok(back.messages.some((m) => m.topic === '/deploy/mode' && m.data.to === 'ARMING'));
});
