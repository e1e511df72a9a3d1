// Replay and system identification on short recordings of a perturbed robot (heavier body,
// weaker motors, longer latency; fixtures/perturbed-robot.yaml) made in simulated time with the
// LQR made for the default robot and a chirp excitation: the true plant replays closer than the
// default one, sysid recovers motor strength and actuation latency within the stated tolerances,
// and writes a valid robot YAML and a randomization YAML centred on the estimates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseExcitation } from '../../deploy/excitation.js';
import { recordLockstep } from '../../hil/lockstep-recording.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { assertSameRobot, loadReplayRecording } from '../../sim/replay-recording.js';
import { Replayer, recordedScales, replayGap } from '../../sim/replay.js';
import { identify } from '../../sim/sysid.js';
import { proposeRandomization, writeIdentified } from '../../sim/sysid-output.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const defaultRobot = loadRobotConfig(here('../../../configs/robot/default.yaml'));
const perturbed = loadRobotConfig(here('../../../test/sim2real/fixtures/perturbed-robot.yaml'));
const dir = mkdtempSync(join(tmpdir(), 'ballbot-sysid-'));

async function chirpRecording(ticks = 400): Promise<string> {
  const file = join(dir, `chirp-${ticks}.mcap`);
  const maxTilt = await recordLockstep({ file, controllerRobot: defaultRobot, plantRobot: perturbed, ticks, excitation: parseExcitation('chirp:0.3', 1.98) });
  assert.ok(maxTilt < 10, `the perturbed robot stayed up under LQR (max tilt ${maxTilt.toFixed(1)} deg)`);
  return file;
}

test('replay: the plant that made the recording replays closer than the default robot', async () => {
  const rec = loadReplayRecording(await chirpRecording());
  const replayer = await Replayer.create(defaultRobot);
  try {
    const truth = replayer.run(rec, perturbed);
    const scales = recordedScales(truth);
    const gTrue = replayGap(truth, 10, scales), gDefault = replayGap(replayer.run(rec, defaultRobot), 10, scales);
    assert.ok(gTrue.samples > 350, `${gTrue.samples} samples compared`);
    assert.ok(gTrue.normalizedGap < gDefault.normalizedGap, `true plant ${gTrue.normalizedGap} vs default ${gDefault.normalizedGap}`);
    // The weaker motors show most in the wheel speeds the excitation drives.
    assert.ok(gTrue.signals.wheel_0.rmse < gDefault.signals.wheel_0.rmse);
  } finally {
    replayer.close();
  }
});

test('sysid recovers motor strength (within 5%) and actuation latency (within two 2 ms substeps) from a 4 s chirp', async () => {
  const rec = loadReplayRecording(await chirpRecording());
  const result = await identify([rec], defaultRobot, { params: ['motorStrength', 'latency'], maxIterations: 10 });
  const est = Object.fromEntries(result.estimates.map((e) => [e.name, e]));
  assert.ok(Math.abs(est.motorStrength.value - 0.8) / 0.8 < 0.05, `motor strength ${est.motorStrength.value} (true 0.8)`);
  // The plant quantises latency to 2 ms physics substeps; seven noise seeds gave 8-14 ms, five of them 10-12.
  assert.ok(Math.abs(est.latency.value - 0.010) < 0.0041, `latency ${est.latency.value} s (true 0.010)`);
  for (const e of result.estimates) assert.ok(e.std > 0 && Number.isFinite(e.std), `${e.name} has an uncertainty`);
  assert.ok(result.after[0].normalizedGap < result.before[0].normalizedGap, 'the fit closes the gap');

  const robotFile = join(dir, 'identified.yaml'), randFile = join(dir, 'identified.randomization.yaml');
  const base = loadRandomizationConfig(here('../../../configs/randomization/default.yaml'));
  writeIdentified(robotFile, result.robot, randFile, proposeRandomization(base, result.estimates), 'test');
  const back = loadRobotConfig(robotFile);
  assert.equal(back.motor.strength, result.robot.motor.strength);
  assert.equal(back.motor.latency, result.robot.motor.latency);
  const rand = loadRandomizationConfig(randFile);
  assert.ok(rand.motorStrength[0] < 1 && rand.motorStrength[1] > 1, 'strength range centred on the estimate');
  assert.ok(rand.motorStrength[1] - rand.motorStrength[0] < base.motorStrength[1] - base.motorStrength[0] + 0.05);
  assert.deepEqual(rand.pushes, base.pushes, 'ranges sysid did not fit are kept');
});

test('fitting each window\'s start state (multiple shooting) brings the body mass closer than starting from the recorded state', async () => {
  const rec = loadReplayRecording(await chirpRecording());
  const params = ['bodyMass', 'motorStrength', 'latency'];
  const mass = async (startStates: 'fit' | 'recorded') => (await identify([rec], defaultRobot, { params, startStates })).estimates.find((e) => e.name === 'bodyMass')!.value;
  const shot = await mass('fit'), recorded = await mass('recorded');
  // True 5 kg: multiple shooting gave 3.7-4.2 kg over three noise seeds, recorded start states 3.6.
  assert.ok(Math.abs(shot - 5) < Math.abs(recorded - 5), `multiple shooting ${shot} kg, recorded starts ${recorded} kg (true 5)`);
  assert.ok(Math.abs(shot - 5) / 5 < 0.2, `body mass ${shot} kg within 20% of 5`);
});

test('bad recordings get an error naming the file and what is missing', async () => {
  const good = await chirpRecording(60);
  const bytes = readFileSync(good);
  const cut = join(dir, 'cut.mcap');
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  assert.throws(() => loadReplayRecording(cut), (e: Error) => e.message.includes(cut) && /cut short/.test(e.message));

  const notMcap = join(dir, 'notes.mcap');
  writeFileSync(notMcap, 'hello');
  assert.throws(() => loadReplayRecording(notMcap), (e: Error) => e.message.includes(notMcap));

  const idle = join(dir, 'idle.mcap');
  await recordLockstep({ file: idle, controllerRobot: defaultRobot, plantRobot: perturbed, ticks: 30, mode: 'DISARMED' });
  assert.throws(() => loadReplayRecording(idle), (e: Error) => e.message.includes(idle) && /no command was sent while armed/.test(e.message));

  const rec = loadReplayRecording(good);
  const other = { ...defaultRobot, name: 'kugle-v1' };
  assert.throws(() => assertSameRobot(rec, other, 'kugle.yaml'), /made on robot 'ballbot-s1', but kugle.yaml describes 'kugle-v1' \(another robot\)/);
});
