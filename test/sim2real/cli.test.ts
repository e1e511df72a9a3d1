// End to end. `deploy --link sim --robot FILE --excite chirp` through the real runtime and sim
// link: the plant FILE describes is simulated while the LQR (and the artifact check) use the
// controller's robot; checked on what does not depend on how late a busy machine makes the ticks
// (the ball of another radius rests at its own height; the metadata names the controller's
// robot). `ballbot replay` and `ballbot sysid` run on a recording made in simulated time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMcapJsonMessages } from '../../common/mcap-read.js';
import { parseExcitation } from '../../deploy/excitation.js';
import { recordLockstep } from '../../hil/lockstep-recording.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { loadRobotConfig, robotIdentity } from '../../sim/config/robot.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const DEFAULT = fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url));
const PERTURBED = fileURLToPath(new URL('../../../test/sim2real/fixtures/perturbed-robot.yaml', import.meta.url));
const ballbot = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: '', timeout: 180_000 });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);
const dir = mkdtempSync(join(tmpdir(), 'ballbot-s2r-cli-'));
const WIDE = ['--set', 'safety.staleState.timeoutMs=1000', '--set', 'safety.linkHealth.maxSilenceMs=2000', '--set', 'safety.deadlineOverruns.maxConsecutive=100'];
const defaultRobot = loadRobotConfig(DEFAULT);
const record = join(dir, 'lockstep.mcap');
await recordLockstep({ file: record, controllerRobot: defaultRobot, plantRobot: loadRobotConfig(PERTURBED), ticks: 300, excitation: parseExcitation('chirp:0.3', 1.98) });

test('deploy --link sim --robot FILE simulates that plant under the controller made for the deploy robot', () => {
  const bigBall = join(dir, 'big-ball.yaml');
  writeFileSync(bigBall, readFileSync(PERTURBED, 'utf8').replace(/radius: 0\.121 .*/, 'radius: 0.14'));
  const file = join(dir, 'deploy.mcap');
  const d = ballbot(['deploy', '--controller', 'lqr', '--link', 'sim', '--robot', bigBall, '--excite', 'chirp:0.1', '--seconds', '1',
    '--record', file, '--json', '--set', 'sim.randomize=false', ...WIDE]);
  assert.equal(d.status, 0, d.stderr);
  const { messages, metadata } = readMcapJsonMessages(file);
  const meta = metadata.get('deploy')!;
  assert.equal(meta.get('robot'), 'ballbot-s1');
  assert.equal(meta.get('robotHash'), robotIdentity(defaultRobot).hash, 'the recording names the controller\'s robot, not the plant');
  assert.equal(meta.get('excitation'), 'chirp:0.1');
  const truth = messages.filter((m) => m.topic === 'sim/truth');
  assert.ok(truth.length > 0);
  // Not armed, so the plant is held at rest: its ball, of the plant's radius, rests on the ground.
  for (const m of truth) assert.ok(Math.abs((m.value.ballPosition as number[])[2] - 0.14) < 1e-3, `ball centre at ${(m.value.ballPosition as number[])[2]} m`);
});

test('replay --json reports every signal; the plant that made the recording replays closer', () => {
  const onDefault = ballbot(['replay', record, '--json']);
  assert.equal(onDefault.status, 0, onDefault.stderr);
  const onTrue = ballbot(['replay', record, '--robot', PERTURBED, '--json']);
  assert.equal(onTrue.status, 0, onTrue.stderr);
  const gDefault = lastJson(onDefault.stdout), gTrue = lastJson(onTrue.stdout);
  for (const key of ['tilt_x', 'tilt_y', 'gyro_x', 'gyro_y', 'gyro_z', 'wheel_0', 'wheel_1', 'wheel_2', 'ball_vx', 'ball_vy']) {
    for (const f of ['rmse', 'bias', 'lagMs', 'recordedStd']) assert.equal(typeof gTrue.signals[key][f], 'number', `${key}.${f}`);
  }
  assert.ok(gTrue.normalizedGap < gDefault.normalizedGap, `${gTrue.normalizedGap} vs ${gDefault.normalizedGap}`);
  assert.match(ballbot(['replay', record]).stdout, /normalised gap/);
});

test('sysid --out writes a loadable robot and randomization YAML and reports the gap before and after', () => {
  const out = join(dir, 'robot', 'identified.yaml');
  const s = ballbot(['sysid', record, '--params', 'motorStrength,latency', '--iterations', '4', '--out', out, '--json']);
  assert.equal(s.status, 0, s.stderr);
  const r = lastJson(s.stdout);
  assert.deepEqual(r.estimates.map((e: { name: string }) => e.name), ['motorStrength', 'latency']);
  assert.ok(r.gapAfter[0] < r.gapBefore[0], `gap ${r.gapBefore[0]} -> ${r.gapAfter[0]}`);
  assert.ok(existsSync(out) && existsSync(r.randomizationOut));
  assert.equal(loadRobotConfig(out).motor.latency, r.estimates[1].value);
  loadRandomizationConfig(r.randomizationOut);
});

test('replay and sysid refuse a missing file and bad flags, naming them', () => {
  const missing = ballbot(['replay', join(dir, 'nope.mcap')]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /nope\.mcap/);
  const noOut = ballbot(['sysid', record]);
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--out/);
  const badParam = ballbot(['sysid', record, '--out', join(dir, 'x.yaml'), '--params', 'mass']);
  assert.equal(badParam.status, 2);
  assert.match(badParam.stderr, /unknown parameter 'mass'/);
});

test('a policy made for the deploy robot runs on another plant: the artifact check uses the controller\'s robot', () => {
  const policy = fileURLToPath(new URL('../../../policies/balance-default.onnx', import.meta.url));
  const r = ballbot(['deploy', '--policy', policy, '--link', 'sim', '--robot', PERTURBED, '--seconds', '0.5', '--json', '--set', 'sim.randomize=false', ...WIDE]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(lastJson(r.stdout).policy, /balance-default/);
  // As the controller's robot instead, the perturbed config is refused: its parameters differ.
  const refused = ballbot(['deploy', '--policy', policy, '--link', 'sim', '--set', `robot=${PERTURBED}`, '--seconds', '0.5', '--json']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /robot parameters: artifact hash/);
});

test('--robot is only for the sim link', () => {
  const r = ballbot(['deploy', '--controller', 'lqr', '--link', 'serial', '--port', '/dev/null', '--robot', PERTURBED, '--arm', '--seconds', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--robot describes a simulated plant: only for --link sim/);
});

test('eval --robot FILE evaluates on that plant; the LQR stays the controller robot\'s; another kind of robot is refused', () => {
  const common = ['eval', '--controller', 'lqr', '--episodes', '2', '--no-randomize', '--json'];
  const onDefault = ballbot(common), onPerturbed = ballbot([...common, '--robot', PERTURBED]);
  assert.equal(onPerturbed.status, 0, onPerturbed.stderr);
  const a = lastJson(onDefault.stdout), b = lastJson(onPerturbed.stdout);
  assert.equal(b.plant, PERTURBED);
  assert.notEqual(a.meanReturn, b.meanReturn, 'the heavier, weaker, later plant is another plant');
  // The LQR made for the perturbed robot is a different controller on the same plant.
  const matched = lastJson(ballbot([...common, '--robot', PERTURBED, '--controller-robot', PERTURBED]).stdout);
  assert.notEqual(matched.meanActionChange, b.meanActionChange);
  const otherRate = join(dir, 'fast.yaml');
  writeFileSync(otherRate, readFileSync(PERTURBED, 'utf8').replace(/rateHz: 100/, 'rateHz: 50'));
  const refused = ballbot([...common, '--robot', otherRate]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /fast\.yaml is not a plant for a controller made for the default robot config: control\.rateHz 50 vs 100/);
});

test('a residual run trained on another robot evaluates with its own base LQR, on its robot or on another plant', () => {
  const run = join(dir, 'run-perturbed');
  const t = ballbot(['train', '--config', fileURLToPath(new URL('../../../configs/train/ppo-balance.yaml', import.meta.url)), '--out', run, '--steps', '256',
    '--set', 'numEnvs=4', '--set', 'workers=0', '--set', `env.robot=${PERTURBED}`, '--set', 'evalEpisodes=2', '--no-progress', '--json']);
  assert.equal(t.status, 0, t.stderr); // its closing evaluation builds the residual's LQR for the perturbed robot
  assert.ok(existsSync(join(run, 'eval.json')));
  const onDefault = ballbot(['eval', '--run', run, '--robot', DEFAULT, '--episodes', '2', '--no-randomize', '--json']);
  assert.equal(onDefault.status, 0, onDefault.stderr);
  assert.equal(lastJson(onDefault.stdout).plant, DEFAULT);
  const refused = ballbot(['eval', '--run', run, '--controller-robot', DEFAULT, '--episodes', '2', '--json']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /--controller-robot is for --policy and --controller/);
});
