// `ballbot view FILE.mcap --replay`: a deploy recording of the perturbed robot (made in simulated
// time) is replayed by the code `ballbot replay` runs; the real server on a loopback port serves
// the recorded and replayed series, and headless Chromium draws one overlay plot per signal.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { parseExcitation } from '../../deploy/excitation.js';
import { recordLockstep } from '../../hil/lockstep-recording.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { loadReplayRecording } from '../../sim/replay-recording.js';
import { REPLAY_SIGNALS, replayOnce } from '../../sim/replay.js';
import type { ReplayOverlayData, SourceInfo } from '../../viewer/page/episode.js';
import { replayOverlay } from '../../viewer/server/replay-overlay.js';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.js';
import { loadFileSource } from '../../viewer/server/sources.js';
import { launchChromium } from './browser.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PERTURBED = here('../../../test/sim2real/fixtures/perturbed-robot.yaml');
const dir = mkdtempSync(join(tmpdir(), 'ballbot-view-replay-'));
const file = join(dir, 'perturbed.mcap');
let server: ViewerServer;

before(async () => {
  const controller = loadRobotConfig(here('../../../configs/robot/default.yaml'));
  await recordLockstep({ file, controllerRobot: controller, plantRobot: loadRobotConfig(PERTURBED), ticks: 200, excitation: parseExcitation('chirp:0.3', 1.98) });
  const source = loadFileSource(file);
  assert.equal(source.kind, 'mcap');
  if (source.kind === 'mcap') source.replay = await replayOverlay(file, source.name);
  server = await startViewerServer({ sources: [source, loadFileSource(file)], port: 0 });
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(new URL(path, server.url));
  return { status: res.status, body: (await res.json()) as T };
};

test('the server serves recorded and replayed series, the same replay `ballbot replay` computes', async () => {
  const sources = (await getJson<SourceInfo[]>('/api/sources')).body;
  assert.equal(sources[0].replay, true);
  assert.equal(sources[1].replay, undefined, 'a source viewed without --replay has no overlay');
  assert.equal((await getJson('/api/replay/1')).status, 404);

  const { status, body } = await getJson<ReplayOverlayData>('/api/replay/0');
  assert.equal(status, 200);
  assert.deepEqual(body.signals.map((s) => s.name), [...REPLAY_SIGNALS]);
  const rec = loadReplayRecording(file);
  const { trace, gap } = await replayOnce(rec, rec.robot!, { windowS: body.windowS });
  assert.equal(body.t.length, trace.samples);
  assert.ok(body.t.length > 150, `${body.t.length} samples`);
  assert.equal(body.normalizedGap, gap.normalizedGap);
  for (let i = 1; i < body.t.length; i++) assert.ok(body.t[i] > body.t[i - 1], 'time increases');
  // The recorded wheel speed is the recording's encoder reading at that stamp.
  const t0 = rec.samples[0].stampMs;
  const wheel0 = body.signals.find((s) => s.name === 'wheel_0')!;
  for (const i of [0, 50, 120]) {
    const sample = rec.samples.find((s) => Math.abs((s.stampMs - t0) / 1000 - body.t[i]) < 1e-9)!;
    assert.equal(wheel0.recorded[i], sample.wheelVelocity[0]);
  }
  // The replay follows the recording (the chirp moves the wheels well above their noise) but is not a copy of it.
  const corr = correlation(wheel0.recorded, wheel0.replayed);
  assert.ok(corr > 0.9, `wheel 0 replay correlates ${corr.toFixed(3)} with the recording`);
  assert.ok(wheel0.recorded.some((v, i) => v !== wheel0.replayed[i]));
});

test('replayed on the plant that made the recording, the overlay gap is smaller than on the default robot', async () => {
  const onDefault = await replayOverlay(file, 'x');
  const onTrue = await replayOverlay(file, 'x', PERTURBED);
  assert.ok(onTrue.normalizedGap < onDefault.normalizedGap, `${onTrue.normalizedGap} vs ${onDefault.normalizedGap}`);
  await assert.rejects(replayOverlay(file, 'x', here('../../../test/sim2real/fixtures/no-such.yaml')), /no-such\.yaml/);
});

test('the page draws one overlay plot per signal, recorded and replayed', async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}?source=0`);
    await page.waitForFunction('window.ballbotViewer?.ready === true || window.ballbotViewer?.error !== undefined', null, { timeout: 30_000 });
    assert.deepEqual(errors, []);
    assert.deepEqual(await page.evaluate('window.ballbotViewer.replaySignals'), [...REPLAY_SIGNALS]);
    const points = (await page.evaluate(`[...document.querySelectorAll('[data-plot^="replay-"] polyline')].map((l) => Number(l.dataset.points))`)) as number[];
    const samples = ((await getJson<ReplayOverlayData>('/api/replay/0')).body).t.length;
    assert.equal(points.length, 2 * REPLAY_SIGNALS.length);
    for (const n of points) assert.equal(n, samples, 'every sample drawn, recorded and replayed');
  } finally {
    await browser.close();
  }
});

test('ballbot view FILE.mcap --replay serves the overlay; --replay without a recording is refused', async () => {
  const bin = here('../../../bin/ballbot.js');
  const refused = spawnSync(process.execPath, [bin, 'view', '--replay', dir], { encoding: 'utf8' });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--replay needs a deploy recording FILE\.mcap/);
  const child = spawn(process.execPath, [bin, 'view', file, '--replay', '--robot', PERTURBED, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    while (!out.includes('\n')) out += String((await once(child.stdout!, 'data'))[0]);
    const { url } = JSON.parse(out.split('\n')[0]) as { url: string };
    const overlay = (await (await fetch(new URL('/api/replay/0', url))).json()) as ReplayOverlayData;
    assert.equal(overlay.normalizedGap, (await replayOverlay(file, 'x', PERTURBED)).normalizedGap, 'replayed on the --robot plant');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

function correlation(a: number[], b: number[]): number {
  const n = a.length, ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
  return ab / Math.sqrt(aa * bb);
}
