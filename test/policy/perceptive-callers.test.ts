// Who can run a perceptive artifact: `ballbot eval` and `ballbot sim` feed the height scan
// from the env when the task computes it and refuse the artifact on a blind task with the
// artifact check's message; the viewer's live rollout, which builds only `obs`, refuses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyMismatchError } from '../../sim/artifact-check.js';
import { livePolicy } from '../../viewer/server/live-controllers.js';
import { robot, writePerceptiveArtifact } from '../training/perceptive-fixture.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const ballbot = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

const artifact = (async () => (await writePerceptiveArtifact(mkdtempSync(join(tmpdir(), 'perceptive-callers-')), [{ name: 'height_scan', shape: [11, 11] }])).file)();

test('eval --policy: a perceptive artifact runs on its task (height scan fed each tick) and is refused on a blind task', async () => {
  const file = await artifact;
  const ok = ballbot('eval', '--policy', file, '--episodes', '2', '--no-randomize', '--json');
  assert.equal(ok.status, 0, ok.stderr);
  const result = JSON.parse(ok.stdout.trim().split('\n').pop()!);
  assert.equal(result.task, 'terrain-perceptive');
  assert.equal(result.episodes, 2);
  const blind = ballbot('eval', '--policy', file, '--task', 'terrain', '--episodes', '2', '--json');
  assert.notEqual(blind.status, 0);
  assert.match(blind.stderr, /does not fit ballbot eval:\n {2}- input 'height_scan': ballbot eval cannot feed it \(it feeds 'obs'\)/);
});

test('sim --policy: a perceptive artifact runs on a perceptive task, is refused on a blind one', async () => {
  const file = await artifact;
  const ok = ballbot('sim', '--policy', file, '--task', 'terrain-perceptive', '--seconds', '0.5', '--json');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout.trim().split('\n').pop()!).steps > 0, true);
  const blind = ballbot('sim', '--policy', file, '--task', 'terrain', '--seconds', '0.5');
  assert.notEqual(blind.status, 0);
  assert.match(blind.stderr, /input 'height_scan': ballbot sim cannot feed it/);
});

test('viewer live rollout: builds only obs, so it refuses a perceptive artifact naming the input', async () => {
  const file = await artifact;
  await assert.rejects(livePolicy(file, robot), (err: unknown) => {
    assert.ok(err instanceof PolicyMismatchError, String(err));
    assert.deepEqual(err.differences, [`input 'height_scan': ballbot view --live cannot feed it (it feeds 'obs')`]);
    return true;
  });
});
