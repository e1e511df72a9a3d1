import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { EpisodeData, MetricsData, SourceInfo } from '../../viewer/page/episode.js';
import { parseMetricsCsv } from '../../viewer/server/metrics.js';
import { startViewerServer, type ViewerServer } from '../../viewer/server/server.js';
import { loadFileSource } from '../../viewer/server/sources.js';
import { rawGet } from './http-raw.js';
import { writeSyntheticEpisode } from './synthetic-episode.js';

const SECRET = 'top-secret-content-do-not-serve';
const root = mkdtempSync(join(tmpdir(), 'ballbot-view-server-'));
const recDir = join(root, 'recs');
const runDir = join(root, 'runs', 'r1');
let server: ViewerServer;

before(async () => {
  mkdirSync(recDir, { recursive: true });
  mkdirSync(join(runDir, 'sub'), { recursive: true });
  writeFileSync(join(root, 'secret.txt'), SECRET);
  writeFileSync(join(recDir, 'other.jsonl'), SECRET); // a sibling of the served recording
  writeFileSync(join(runDir, 'metrics.csv'), 'iteration,env_steps,episode_return,note\n1,100,-5,warmup\n2,200,-3,\n3,300,-1,ok\n');
  writeFileSync(join(runDir, 'sub', 'config.yaml'), 'lr: 0.001\n');
  writeFileSync(join(runDir, 'config.json'), '{"algo":"ppo"}\n');
  mkdirSync(join(runDir, 'checkpoints'));
  writeFileSync(join(runDir, 'checkpoints', 'latest.json'), '{"checkpoint":"ckpt-0000001.json"}');
  symlinkSync(join(root, 'secret.txt'), join(runDir, 'link-to-secret'));
  writeSyntheticEpisode(join(recDir, 'ep.jsonl'), 120);
  server = await startViewerServer({ sources: [loadFileSource(join(recDir, 'ep.jsonl')), loadFileSource(runDir)], port: 0 });
});

after(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('serves the page, the bundled script and the data of each source', async () => {
  const html = await rawGet(server.port, '/');
  assert.equal(html.status, 200);
  assert.match(html.body, /<script type="module" src="\/app\.js"><\/script>/);
  assert.doesNotMatch(html.body, /src="https?:/, 'no CDN scripts');
  const js = await rawGet(server.port, '/app.js');
  assert.equal(js.status, 200);
  assert.ok(js.body.length > 100_000, 'three.js is bundled in');
  assert.doesNotMatch(js.body, /from\s*"three"|import\("three"\)/, 'no bare imports left for the browser');
  const sources = JSON.parse((await rawGet(server.port, '/api/sources')).body) as SourceInfo[];
  assert.deepEqual(sources.map((s) => [s.kind, s.name]), [['recording', 'ep.jsonl'], ['run', 'r1']]);
  const episode = JSON.parse((await rawGet(server.port, '/api/episode/0')).body) as EpisodeData;
  assert.equal(episode.frames.length, 120);
  assert.equal(episode.robot.zenithDeg, 45);
  const metrics = JSON.parse((await rawGet(server.port, '/api/metrics/1')).body) as MetricsData;
  assert.deepEqual(metrics.columns, ['iteration', 'env_steps', 'episode_return']);
  assert.deepEqual(metrics.values.episode_return, [-5, -3, -1]);
  assert.equal((await rawGet(server.port, '/api/episode/1')).status, 404, 'a run has no episode');
  assert.equal((await rawGet(server.port, '/api/metrics/0')).status, 404, 'a recording has no metrics');
});

test('serves exactly the files it lists', async () => {
  const rec = await rawGet(server.port, '/files/0/ep.jsonl');
  assert.equal(rec.status, 200);
  assert.equal(rec.body, readFileSync(join(recDir, 'ep.jsonl'), 'utf8'));
  const sources = JSON.parse((await rawGet(server.port, '/api/sources')).body) as SourceInfo[];
  assert.deepEqual(sources[1].files, ['metrics.csv', 'config.json']);
  assert.equal((await rawGet(server.port, '/files/1/metrics.csv')).status, 200);
  assert.equal((await rawGet(server.port, '/files/1/config.json')).body, '{"algo":"ppo"}\n');
  // Files of the run directory it does not list stay private.
  for (const path of ['/files/1/sub/config.yaml', '/files/1/checkpoints/latest.json', '/files/1/checkpoints']) {
    assert.equal((await rawGet(server.port, path)).status, 404, path);
  }
});

test('refuses every path outside the given files, plain or encoded', async () => {
  const secretAbs = join(root, 'secret.txt');
  const attempts = [
    '/files/0/../secret.txt',
    '/files/0/../../secret.txt',
    '/files/0/other.jsonl',
    '/files/0/..%2fsecret.txt',
    '/files/0/%2e%2e/secret.txt',
    '/files/0/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/files/0/%252e%252e%252fsecret.txt',
    '/files/0/..%5c..%5csecret.txt',
    '/files/0/%2f' + encodeURIComponent(secretAbs.slice(1)),
    '/files/0/' + encodeURIComponent(secretAbs),
    '/files/0//' + secretAbs,
    '/files/0/ep.jsonl%00.txt',
    '/files/0/ep.jsonl/../other.jsonl',
    '/files/0/%c0%ae%c0%ae/secret.txt',
    '/files/1/../../secret.txt',
    '/files/1/sub/../../../secret.txt',
    '/files/1/sub/..%2f..%2f..%2fsecret.txt',
    '/files/1/link-to-secret',
    '/files/1/sub',
    '/files/1/.',
    '/files/2/secret.txt',
    '/files/-1/secret.txt',
    '/files/01x/ep.jsonl',
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/api/episode/../../secret.txt',
    '/api/episode/0%2f..%2f..%2fsecret.txt',
    '/app.js/../../secret.txt',
  ];
  for (const path of attempts) {
    const res = await rawGet(server.port, path);
    assert.ok(res.status === 404 || res.status === 400, `${path} -> ${res.status}`);
    assert.ok(!res.body.includes(SECRET), `${path} leaked the secret`);
  }
  assert.equal((await rawGet(server.port, '/files/0/ep.jsonl', 'POST')).status, 404);
});

test('metrics: numeric columns only, a half-written last row skipped, a bad row named', () => {
  const m = parseMetricsCsv('iteration,sps,tag\n1,10,a\n2,,b\n3,3', 'm.csv');
  assert.deepEqual(m.columns, ['iteration', 'sps']);
  assert.deepEqual(m.values.sps, [10, null]);
  assert.equal(m.rows, 2);
  assert.throws(() => parseMetricsCsv('a,b\n1\n2,3\n', 'm.csv'), /m\.csv:2: 1 fields, header has 2/);
  assert.throws(() => parseMetricsCsv('', 'm.csv'), /m\.csv: empty/);
});

test('bad inputs fail at start with the file named', () => {
  writeFileSync(join(root, 'broken.jsonl'), '{"format":"ballbot-recording","version":1}\n');
  assert.throws(() => loadFileSource(join(root, 'broken.jsonl')), /broken\.jsonl:1: header/);
  assert.throws(() => loadFileSource(join(root, 'missing.jsonl')), /no such file or directory: .*missing\.jsonl/);
  assert.throws(() => loadFileSource(recDir), /directory without metrics\.csv/);
});
