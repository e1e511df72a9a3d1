import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { frameFromTruth, headerFor, parseRecording, readRecording, RecordingError, RecordingWriter } from '../../sim/recording.js';
import { DEFAULT_ROBOT_FILE, writeSyntheticEpisode } from './synthetic-episode.js';

const dir = mkdtempSync(join(tmpdir(), 'ballbot-recording-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a written recording reads back with every frame and event', () => {
  const ep = writeSyntheticEpisode(join(dir, 'ep.jsonl'), 250, 'heightfield');
  const rec = readRecording(ep.file);
  assert.equal(rec.frames.length, 250);
  assert.equal(rec.events.filter((e) => e.kind === 'push').length, ep.pushes);
  assert.equal(rec.events.filter((e) => e.kind === 'safety').length, ep.safetyEvents);
  assert.ok(ep.safetyEvents > 0);
  assert.deepEqual(rec.frames[137].ballPosition, ep.position(137));
  assert.equal(rec.header.robot.ball.radius, ep.robot.ball.radius);
  assert.equal(rec.header.terrain.kind, 'heightfield');
  assert.equal(rec.end.reason, 'truncated');
  // Typed arrays went in, plain arrays come out, and no temp file is left behind.
  assert.ok(Array.isArray(rec.frames[0].wheelVelocity));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('nothing appears at the target until close, and abort leaves the old file', () => {
  const robot = loadRobotConfig(DEFAULT_ROBOT_FILE);
  const file = join(dir, 'atomic.jsonl');
  writeFileSync(file, 'previous');
  const w = new RecordingWriter(file, headerFor(robot, 0.01));
  for (let i = 0; i < 3000; i++) {
    w.frame({ t: i * 0.01, ballPosition: [0, 0, 0.12], ballOrientation: [0, 0, 0, 1], bodyOrientation: [0, 0, 0, 1], tiltRad: 0, wheelVelocity: [0, 0, 0], wheelTorque: [0, 0, 0], rawTorque: [0, 0, 0], safeTorque: [0, 0, 0], command: [0, 0, 0] });
  }
  assert.equal(readFileSync(file, 'utf8'), 'previous');
  w.abort();
  assert.equal(readFileSync(file, 'utf8'), 'previous');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.atomic')), []);
});

test('the writer rejects non-finite values, wrong lengths and time going back', () => {
  const robot = loadRobotConfig(DEFAULT_ROBOT_FILE);
  const w = new RecordingWriter(join(dir, 'bad.jsonl'), headerFor(robot, 0.01));
  const ok = { t: 1, ballPosition: [0, 0, 0.12], ballOrientation: [0, 0, 0, 1], bodyOrientation: [0, 0, 0, 1], tiltRad: 0, wheelVelocity: [0, 0, 0], wheelTorque: [0, 0, 0], rawTorque: [0, 0, 0], safeTorque: [0, 0, 0], command: [0, 0, 0] };
  assert.throws(() => w.frame({ ...ok, rawTorque: [0, Number.NaN, 0] }), /frame 0\.rawTorque\[1\] must be a finite number/);
  assert.throws(() => w.frame({ ...ok, ballOrientation: [0, 0, 1] }), /ballOrientation must have 4 entries/);
  w.frame(ok);
  assert.throws(() => w.frame({ ...ok, t: 0.5 }), /goes back in time/);
  assert.throws(() => w.event({ kind: 'push', t: 1, dv: [Infinity, 0] }), /dv\[0\] must be a finite number/);
  w.abort();
  assert.throws(() => new RecordingWriter(join(dir, 'x.jsonl'), headerFor(robot, -1)), /controlDt: must be > 0/);
});

test('the reader names the file, line and key of what is wrong', () => {
  const ep = writeSyntheticEpisode(join(dir, 'good.jsonl'), 20);
  const lines = readFileSync(ep.file, 'utf8').trimEnd().split('\n');
  const bad = (edit: (l: string[]) => string[]) => () => parseRecording(edit([...lines]).join('\n') + '\n', 'r.jsonl');
  assert.throws(bad((l) => l.slice(0, -1)), /r\.jsonl: no end line: the recording was cut short \(20 frames read\)/);
  assert.throws(bad((l) => { l[3] = l[3].replace('"tiltRad"', '"tilt"'); return l; }), (e: Error) => e instanceof RecordingError && /r\.jsonl:4: frame: .*tiltRad/.test(e.message));
  assert.throws(bad((l) => { l[5] = '{"type":"frame",'; return l; }), /r\.jsonl:6: not valid JSON/);
  assert.throws(bad((l) => { l[0] = l[0].replace('"version":1', '"version":9'); return l; }), /r\.jsonl:1: recording version 9 is not supported/);
  assert.throws(bad((l) => { l[0] = l[0].replace('"radius":0.121', '"radius":-1'); return l; }), /r\.jsonl:1: header: robot\.ball\.radius/);
  assert.throws(bad((l) => { l.splice(4, 1); return l; }), /end line says 20 frames .* file has 19/);
  assert.throws(() => parseRecording('{"hello":1}\n', 'x.json'), /x\.json:1: not a ballbot-recording file/);
});

test('a real plant rollout records through frameFromTruth', async () => {
  const { createPlant } = await import('../../sim/plant.js');
  const plant = await createPlant({ initTiltDeg: 2 });
  const file = join(dir, 'real.jsonl');
  const w = new RecordingWriter(file, headerFor(plant.robot, plant.controlDt, { source: { controller: 'zero' } }));
  const zero = new Float64Array(3);
  for (let i = 0; i < 120; i++) {
    plant.applyCommand(zero);
    plant.stepControl();
    w.frame(frameFromTruth(plant.truth(), { rawTorque: zero, safeTorque: zero, command: [0, 0, 0] }));
  }
  plant.close();
  w.close({ reason: 'terminated' });
  const rec = readRecording(file);
  assert.equal(rec.frames.length, 120);
  // Unstable upright: with zero torque the recorded tilt grows.
  assert.ok(rec.frames[119].tiltRad > rec.frames[0].tiltRad * 3, `tilt ${rec.frames[0].tiltRad} -> ${rec.frames[119].tiltRad}`);
});
