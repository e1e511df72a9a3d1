// End to end in headless Chromium: the page for a recorded episode renders the robot,
// scrubbing moves it, the plots hold every recorded point; the training-curves page plots
// each numeric column. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.js';
import { loadFileSource } from '../../viewer/server/sources.js';
import { CANVAS_STATS, launchChromium, type CanvasStats } from './browser.js';
import { writeSyntheticEpisode, type SyntheticEpisode } from './synthetic-episode.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const FRAMES = 400;
const RUN_ROWS = 60;
const dir = mkdtempSync(join(tmpdir(), 'ballbot-view-e2e-'));
let episode: SyntheticEpisode;
let server: ViewerServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  episode = writeSyntheticEpisode(join(dir, 'episode.jsonl'), FRAMES, 'heightfield');
  const run = join(dir, 'run-a');
  mkdirSync(run);
  const header = 'iteration,env_steps,wall_s,episode_return,policy_loss,approx_kl,sps,status';
  const rows = Array.from({ length: RUN_ROWS }, (_, i) => [i + 1, (i + 1) * 4096, i * 2.1, -200 + 3 * i + 5 * Math.sin(i), 0.1 / (i + 1), 0.01 * Math.random(), 1900 + i, 'ok'].join(','));
  writeFileSync(join(run, 'metrics.csv'), [header, ...rows].join('\n') + '\n');
  server = await startViewerServer({ sources: [loadFileSource(episode.file), loadFileSource(run)], port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

// In-page code is passed as strings: the tests compile without the DOM library.
const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

async function openSource(page: Page, id: number): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}?source=${id}`);
  await page.waitForFunction('window.ballbotViewer?.ready === true || window.ballbotViewer?.error !== undefined', null, { timeout: 30_000 });
  const error = await inPage<string | undefined>(page, 'window.ballbotViewer.error');
  assert.equal(error, undefined, `page error: ${error}`);
  assert.deepEqual(errors, []);
}

async function scrubTo(page: Page, index: number): Promise<void> {
  await page.fill('#scrub', String(index));
  // Wait until the robot is drawn at that frame and a new picture has been rendered since.
  await page.waitForFunction(`window.ballbotViewer.frameIndex() === ${index} && document.getElementById('scene').dataset.frameIndex === '${index}'`);
  const renders = await inPage<number>(page, 'window.ballbotViewer.renders()');
  await page.waitForFunction(`window.ballbotViewer.renders() > ${renders + 1}`);
}

test('a recorded episode: the robot renders, scrubbing moves it, the plots hold every point', async () => {
  const page = await browser.context.newPage();
  await openSource(page, 0);
  assert.equal(await inPage<number>(page, 'window.ballbotViewer.frameCount()'), FRAMES);

  await scrubTo(page, 0);
  const at0 = await inPage<number[]>(page, 'window.ballbotViewer.bodyPosition()');
  const pixels0 = (await page.evaluate(CANVAS_STATS)) as CanvasStats;
  assert.ok(pixels0.width > 100 && pixels0.height > 100, `canvas ${pixels0.width}x${pixels0.height}`);
  assert.ok(pixels0.litFraction > 0.2, `only ${(pixels0.litFraction * 100).toFixed(1)}% of the canvas is drawn`);
  assert.ok(pixels0.colors > 30, `only ${pixels0.colors} colours: a blank or flat canvas`);

  const target = 300;
  await scrubTo(page, target);
  const at300 = await inPage<number[]>(page, 'window.ballbotViewer.bodyPosition()');
  const expected = episode.position(target);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(at300[k] - expected[k]) < 1e-6, `robot drawn at ${at300}, recorded ${expected}`);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(at0[k] - episode.position(0)[k]) < 1e-6, `robot drawn at ${at0} for frame 0`);
  assert.ok(Math.hypot(at300[0] - at0[0], at300[1] - at0[1]) > 0.3, 'scrubbing moved the robot');
  const pixels300 = (await page.evaluate(CANVAS_STATS)) as CanvasStats;
  assert.notEqual(pixels300.hash, pixels0.hash, 'the picture changed with the scrubber');
  assert.equal(await page.textContent('#time'), `${(target * 0.01).toFixed(3)} / ${((FRAMES - 1) * 0.01).toFixed(3)} s`);

  // Plots: one polyline per series, one point per recorded frame.
  const plots = await inPage<Array<{ id: string; points: number[]; markers: number }>>(
    page,
    `Array.from(document.querySelectorAll('#plots .plot')).map((p) => ({
      id: p.dataset.plot,
      points: Array.from(p.querySelectorAll('polyline')).map((l) => (l.getAttribute('points') || '').trim().split(/\\s+/).filter(Boolean).length),
      markers: p.querySelectorAll('line.marker').length,
    }))`,
  );
  assert.deepEqual(plots.map((p) => p.id), ['tilt', 'torque', 'wheel-speed']);
  assert.deepEqual(plots[0].points, [FRAMES]);
  assert.deepEqual(plots[1].points, Array(6).fill(FRAMES), 'raw and safe torque of three wheels');
  assert.deepEqual(plots[2].points, Array(3).fill(FRAMES));
  for (const p of plots) assert.equal(p.markers, episode.pushes + episode.safetyEvents, `event markers on ${p.id}`);

  // Play advances time from the scrubbed frame.
  await page.click('#play');
  await page.waitForFunction(`window.ballbotViewer.frameIndex() > ${target}`);
  await page.click('#play');
  await scrubTo(page, 110); // just after the first push: its arrow is on screen
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-recording.png') });
  await page.close();
});

test('the training-curves page plots every numeric column of metrics.csv', async () => {
  const page = await browser.context.newPage();
  await openSource(page, 1);
  const curves = await inPage<{ x: string; plots: Array<{ id: string; points: number }> }>(
    page,
    `({
      x: document.getElementById('curves-view').dataset.x,
      plots: Array.from(document.querySelectorAll('#curves-view .plot')).map((p) => ({
        id: p.dataset.plot,
        points: (p.querySelector('polyline').getAttribute('points') || '').trim().split(/\\s+/).filter(Boolean).length,
      })),
    })`,
  );
  assert.equal(curves.x, 'env_steps');
  assert.deepEqual(curves.plots.map((p) => p.id), ['iteration', 'wall_s', 'episode_return', 'policy_loss', 'approx_kl', 'sps']);
  for (const p of curves.plots) assert.equal(p.points, RUN_ROWS, p.id);
  await page.screenshot({ path: join(ARTIFACTS, 'viewer-curves.png') });
  await page.close();
});
