// The depth frame of a deploy recording beside the 3D scene: the MCAP's /deploy/perception/depth
// channel (written by the deploy telemetry) becomes frames with a depth image, the page shows
// the last depth frame at the scrubbed time as a grayscale canvas (near bright, no reading dark
// red), and a recording without depth shows none. Headless Debian Chromium, as the other e2e tests.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Telemetry } from '../../deploy/telemetry.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { withPerception } from '../../sim/perception/config.js';
import { episodeFromMcapFile } from '../../viewer/server/mcap.js';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.js';
import { loadFileSource } from '../../viewer/server/sources.js';
import { launchChromium } from './browser.js';
import { startLiveRollout, type LiveRollout } from '../../viewer/server/live.js';
import { livePolicy } from '../../viewer/server/live-controllers.js';
import { DEFAULT_ROBOT_FILE, writeSyntheticEpisode } from './synthetic-episode.js';

const W = 32, H = 24, TICKS = 90, EVERY = 3;
const dir = mkdtempSync(join(tmpdir(), 'ballbot-view-depth-'));
const robot = withPerception(loadRobotConfig(DEFAULT_ROBOT_FILE));
let mcap: string;
let server: ViewerServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let live: LiveRollout;

/** Frame j: row r at 0.5 + 0.1 r + 0.01 j m (nearer at the top), pixel (0, 0) with no reading. */
function frame(j: number): Float32Array {
  const d = new Float32Array(W * H);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) d[r * W + c] = 0.5 + 0.1 * r + 0.01 * j;
  d[0] = 0;
  return d;
}

before(async () => {
  mcap = join(dir, 'perceptive.mcap');
  const tel = await Telemetry.open(mcap, { chunkBytes: 4096, channels: ['state', 'depth'], metadata: { robotConfig: JSON.stringify(robot) } });
  for (let k = 0; k < TICKS; k++) {
    if (k % EVERY === 0) tel.logFrame('depth', 1000 + 10 * k, { tick: k, stampMs: 1000 + 10 * k - 20, seq: k / EVERY }, frame(k / EVERY), [H, W]);
    tel.log('state', 1000 + 10 * k, { tick: k, orientation: [0, 0, 0, 1], wheelVelocity: [0, 0, 0] });
  }
  await tel.close();
  const blind = writeSyntheticEpisode(join(dir, 'blind.jsonl'), 50);
  live = await startLiveRollout({ plantOptions: { robot, seed: 1, initTiltDeg: 0 }, controller: await livePolicy(undefined, robot), pushEverySeconds: 0 });
  server = await startViewerServer({ sources: [loadFileSource(mcap), loadFileSource(blind.file), { kind: 'live', name: 'lqr', live }], port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close(); // closes the live rollout too
  rmSync(dir, { recursive: true, force: true });
});

test('the MCAP depth channel becomes depth images on the frames of their ticks', () => {
  const ep = episodeFromMcapFile(mcap, 'perceptive');
  assert.equal(ep.frames.length, TICKS);
  const withDepth = ep.frames.map((f, i) => (f.depth ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(withDepth, Array.from({ length: TICKS / EVERY }, (_, j) => j * EVERY));
  const d = ep.frames[30].depth!;
  assert.deepEqual([d.width, d.height, d.maxRange], [W, H, 4]);
  assert.equal(d.data[0], 0);
  assert.ok(Math.abs(d.data[W * 5] - (0.5 + 0.5 + 0.1)) < 1e-6);
});

const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

async function open(page: Page, id: number): Promise<void> {
  await page.goto(`${server.url}?source=${id}`);
  await page.waitForFunction('window.ballbotViewer?.ready === true || window.ballbotViewer?.error !== undefined', null, { timeout: 30_000 });
  assert.equal(await inPage<string | undefined>(page, 'window.ballbotViewer.error'), undefined);
}

/** Pixel (r, c) of the depth canvas, [R, G, B]. */
const pixel = (r: number, c: number) => `Array.from(document.getElementById('depth').getContext('2d').getImageData(${c}, ${r}, 1, 1).data.slice(0, 3))`;

test('the page shows the last depth frame at the scrubbed time beside the scene; near is bright, no reading dark red', async () => {
  const page = await browser.context.newPage();
  await open(page, 0);
  await page.fill('#scrub', '31'); // tick 31: the last depth frame is tick 30's
  await page.waitForFunction('window.ballbotViewer.frameIndex() === 31 && window.ballbotViewer.depthShown() !== null');
  assert.deepEqual(await inPage(page, 'window.ballbotViewer.depthShown()'), { width: W, height: H });
  assert.equal(await inPage(page, `document.getElementById('depth-wrap').hidden`), false);
  const [top, bottom, missing] = await Promise.all([inPage<number[]>(page, pixel(1, 5)), inPage<number[]>(page, pixel(H - 1, 5)), inPage<number[]>(page, pixel(0, 0))]);
  // Grayscale 255 x (1 - depth / 4 m): row 1 of frame 10 is 0.7 m, row 23 is 2.9 m.
  assert.deepEqual(top, [210, 210, 210]);
  assert.deepEqual(bottom, [70, 70, 70]);
  assert.deepEqual(missing, [90, 20, 20]);
  assert.match((await page.textContent('#depth-label')) ?? '', /depth 32x24, 0-4 m/);
  mkdirSync(join(process.cwd(), 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(process.cwd(), 'test-artifacts', 'viewer-depth.png') });
  await page.close();
});

test('a recording without depth shows no depth view', async () => {
  const page = await browser.context.newPage();
  await open(page, 1);
  await page.fill('#scrub', '10');
  await page.waitForFunction('window.ballbotViewer.frameIndex() === 10');
  assert.equal(await inPage(page, 'window.ballbotViewer.depthShown()'), null);
  assert.equal(await inPage(page, `document.getElementById('depth-wrap').hidden`), true);
  await page.close();
});

test('a live rollout of a robot with a depth camera streams its depth frames at the camera rate, and the page shows them', async () => {
  const page = await browser.context.newPage();
  await open(page, 2);
  await page.waitForFunction('window.ballbotViewer.depthShown() !== null', null, { timeout: 30_000 });
  assert.deepEqual(await inPage(page, 'window.ballbotViewer.depthShown()'), { width: W, height: H });
  await page.close();
  const frames = live.snapshot().frames;
  const depth = frames.filter((f) => f.depth);
  // 30 Hz frames in a 100 Hz stream: about 3 in 10.
  assert.ok(frames.length >= 50, `${frames.length} frames`);
  assert.ok(Math.abs(depth.length / frames.length - 0.3) < 0.05, `${depth.length} depth frames of ${frames.length}`);
  const d = depth[depth.length - 1].depth!;
  assert.equal(d.data.length, W * H);
  assert.ok(d.data.filter((v) => v > 0).length > W * H / 2, 'the camera sees the floor');
});
