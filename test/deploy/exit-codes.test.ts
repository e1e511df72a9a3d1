// The exit code rule of `ballbot deploy` (docs/deploy.md), one child process per case:
// 0 ended without an e-stop, every arm honoured, robot upright; 3 ended e-stopped, an arm was
// refused, or the robot fell; 2 bad usage / could not start; 1 uncaught error (after the
// e-stop); 128+N on signal N (test/deploy/signals.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExitCode } from '../../cli/commands/deploy.js';
import { lastJsonLine, sleep, spawnDeploy, until, WIDE_TIMING_FLAGS } from './harness.js';

const LQR = ['--controller', 'lqr', '--link', 'sim', '--json', ...WIDE_TIMING_FLAGS];

test('the rule itself: e-stopped, refused arm or a fall -> 3, else 0', () => {
  const ok = { finalMode: 'RUNNING' as const, armRefusals: [], fell: false };
  assert.equal(runExitCode(ok), 0);
  assert.equal(runExitCode({ ...ok, finalMode: 'DISARMED' }), 0);
  assert.equal(runExitCode({ ...ok, finalMode: 'ESTOP' }), 3);
  assert.equal(runExitCode({ ...ok, armRefusals: [{ atTick: 3, reason: 'armTilt: ...' }] }), 3);
  assert.equal(runExitCode({ ...ok, fell: true }), 3);
});

test('0: a run that ends disarmed, nothing refused', async () => {
  const r = spawnDeploy([...LQR, '--seconds', '0.5']);
  assert.equal(await r.exited, 0, r.err());
  assert.equal(lastJsonLine(r.out()).finalMode, 'DISARMED');
});

test('0: the operator stops a disarmed run (the stop\'s own e-stop is not a failure)', async () => {
  const r = spawnDeploy(LQR);
  await until(() => /not armed/.test(r.err()), 'the run to start', 30_000);
  r.child.stdin.write('stop\n');
  assert.equal(await r.exited, 0, r.err());
});

test('3: the operator e-stops and the run ends e-stopped', async () => {
  const r = spawnDeploy([...LQR, '--seconds', '1.5']);
  await until(() => /not armed/.test(r.err()), 'the run to start', 30_000);
  r.child.stdin.write('estop\n');
  assert.equal(await r.exited, 3, r.err());
  assert.equal(lastJsonLine(r.out()).finalMode, 'ESTOP');
});

test('3: an arm request that is refused (robot leaning 30 deg) ends with exit 3, not 0', async () => {
  const r = spawnDeploy([...LQR, '--arm', '--seconds', '1', '--set', 'sim.initTiltDeg=30', '--set', 'safety.armWaitMs=300']);
  assert.equal(await r.exited, 3, r.err());
  const s = lastJsonLine(r.out());
  assert.equal(s.finalMode, 'DISARMED');
  assert.equal(s.armRefusals.length, 1);
  // The first check the leaning robot fails (the tilt cutoff, 25 deg) is named with its numbers.
  // The run is real time: the robot, released at 30 deg, has fallen some way further by then.
  const m = /^tiltCutoff: not armed after 300 ms: tilt (\d+\.\d) deg > 25\.0 deg/.exec(s.armRefusals[0].reason);
  assert.ok(m, s.armRefusals[0].reason);
  assert.ok(Number(m[1]) >= 29.5 && Number(m[1]) < 90, `tilt ${m[1]} deg: from the 30 deg start, falling`);
});

test('2: bad usage, and a config error naming the key', async () => {
  const a = spawnDeploy(['--controller', 'lqr', '--link', 'carrier-pigeon']);
  assert.equal(await a.exited, 2);
  assert.match(a.err(), /--link must be sim, serial or ros2/);
  const b = spawnDeploy(['--controller', 'lqr', '--set', 'safety.modeAgreement.maxMs=-1']);
  assert.equal(await b.exited, 2);
  assert.match(b.err(), /modeAgreement\.maxMs/);
});

for (const [kind, code] of [['an uncaught exception', 'throw new Error("injected failure")'], ['an unhandled rejection', 'Promise.reject(new Error("injected failure"))']]) {
  test(`1: ${kind} while running: e-stop first, then exit 1`, async () => {
    // The failure is real: a timer in the deploy process itself throws, once deploy is running
    // (its handlers are installed).
    const inject = `--import=data:text/javascript,const t=setInterval(()=>{if(process.listenerCount("uncaughtException")>0){clearInterval(t);setTimeout(()=>{${code}},300)}},50)`;
    const r = spawnDeploy([...LQR, '--seconds', '20'], [inject]);
    assert.equal(await r.exited, 1, r.err());
    const s = lastJsonLine(r.out());
    assert.equal(s.finalMode, 'ESTOP');
    assert.equal(s.estops[0].rule, 'error');
    assert.match(s.estops[0].reason, /injected failure/);
  });
}
void sleep;
