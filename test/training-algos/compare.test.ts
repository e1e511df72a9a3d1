// `ballbot compare` pieces: the per-seed summary and its table on hand data, the SVG plot,
// and one tiny end-to-end comparison on pendulum (two algorithms x two seeds).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../training/backend.js';
import { runComparison, stat, summarize, summaryCsv, summaryMarkdown, type CurvePoint } from '../../training/compare.js';
import { aggregate, compareSvg } from '../../training/io/compare-plot.js';

let dir: string;
before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-compare-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const pt = (algo: string, seed: number, envSteps: number, wallSeconds: number, successRate: number, meanReturn: number, meanActionChange: number): CurvePoint => ({ algo, seed, envSteps, wallSeconds, successRate, meanReturn, meanActionChange });
const points = [
  pt('ppo', 1, 100, 10, 0.2, -50, 0.1), pt('ppo', 1, 200, 20, 0.6, -20, 0.05),
  pt('ppo', 2, 100, 12, 0.4, -40, 0.3), pt('ppo', 2, 200, 26, 1.0, -10, 0.07),
  pt('td3', 1, 200, 90, 0.0, -100, 0.2),
];

test('summary: final evaluation of each seed, mean and population std over seeds', () => {
  assert.deepEqual(stat([1, 3]), { mean: 2, std: 1 });
  const rows = summarize(points, ['ppo', 'td3']);
  assert.equal(rows[0].seeds, 2);
  assert.equal(rows[0].envSteps, 200);
  assert.equal(rows[0].wallSeconds, 23);
  assert.ok(Math.abs(rows[0].successRate.mean - 0.8) < 1e-12 && Math.abs(rows[0].successRate.std - 0.2) < 1e-12);
  assert.deepEqual(rows[0].meanReturn, { mean: -15, std: 5 });
  assert.equal(rows[1].seeds, 1);
  assert.deepEqual(rows[1].meanReturn, { mean: -100, std: 0 });
  const md = summaryMarkdown(rows, { task: 'balance', steps: 200, seeds: 2, evalEpisodes: 5 });
  assert.match(md, /\| PPO \| 2 \| 200 \| 23 \| 80.0 ± 20.0 \| -15.0 ± 5.0 \| 0.0600 ± 0.0100 \|/);
  assert.equal(summaryCsv(rows).trim().split('\n').length, 3);
});

test('plot: mean line and min..max band per algorithm over the k-th evaluations; LQR dashed; no external resources', () => {
  const agg = aggregate(points, 'ppo', 'wallSeconds', 'meanReturn');
  assert.deepEqual(agg, [{ x: 11, y: -45, lo: -50, hi: -40 }, { x: 23, y: -15, lo: -20, hi: -10 }]);
  const svg = compareSvg(points, ['ppo', 'td3'], { episodes: 5, successRate: 1, meanReturn: -5, stdReturn: 0, meanLength: 10, meanActionChange: 0.01 }, 'test');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<polyline/g) ?? []).length, 12, '6 panels x 2 algorithms');
  assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 7, 'LQR line in 6 panels + legend');
  assert.doesNotMatch(svg, /<script|href=/);
});

test('end to end: two algorithms x two seeds on pendulum write the table, CSVs, plot and ONNX policies', async () => {
  const out = join(dir, 'cmp');
  const logs: string[] = [];
  const r = await runComparison({
    algos: ['a2c', 'ddpg'], task: 'pendulum', steps: 1200, seeds: 2, outDir: out, evalPoints: 2, evalEpisodes: 2, evalSeed: 0, progress: false,
    overrides: ['network.actor=[16]', 'network.critic=[16]', 'ddpg.learningStarts=1000', 'ddpg.batchSize=16', 'ddpg.utd=0.1'],
    log: (m) => logs.push(m),
  });
  for (const f of Object.values(r.files)) assert.ok(existsSync(f), `${f} written`);
  for (const run of ['a2c-seed1', 'a2c-seed2', 'ddpg-seed1', 'ddpg-seed2']) assert.ok(existsSync(join(out, 'runs', run, 'policy.onnx')), `${run} exported`);
  assert.equal(r.summary.length, 2, 'no LQR row on pendulum');
  assert.deepEqual(r.summary.map((s) => s.name), ['A2C', 'DDPG']);
  // 2 evaluations per run (the last at the end of training).
  for (const algo of ['a2c', 'ddpg']) for (const seed of [1, 2]) {
    const mine = r.points.filter((p) => p.algo === algo && p.seed === seed);
    assert.equal(mine.length, 2, `${algo} seed ${seed} evaluations`);
    assert.ok(mine[0].envSteps < mine[1].envSteps && mine[1].envSteps >= 1200);
    assert.ok(mine[1].wallSeconds >= mine[0].wallSeconds);
  }
  const curves = readFileSync(r.files.curvesCsv, 'utf8').trim().split('\n');
  assert.equal(curves.length, 1 + 8);
  assert.equal(logs.length, 8);
});
