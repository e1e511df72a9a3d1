// The serial link and the deploy runtime against a misbehaving firmware written in TS on a real
// socat pty: the handshake says exactly what was wrong, a firmware that takes ARM but stays
// DISARMED is e-stopped by the mode-agreement rule, replays are counted apart from losses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSerialLink } from '../../deploy/links/serial-link.js';
import { parseFault, startDeploy } from '../../deploy/index.js';
import { ESTOP_REASON, HELLO_STATUS, PROTOCOL_VERSION, ROLE } from '../../firmware-bridge/messages.js';
import { FakeFirmware, type FakeFirmwareBehaviour } from './fake-firmware.js';
import { robot, testConfig, until } from './harness.js';

async function handshakeError(behaviour: FakeFirmwareBehaviour): Promise<string> {
  const fw = await FakeFirmware.start(behaviour);
  const link = createSerialLink({ path: fw.hostPort, handshakeTimeoutMs: 400 });
  try {
    await link.connect();
    await link.close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await fw.close();
  }
}

test('HELLO reply with the host role: the error names the role, not a missing firmware', async () => {
  const msg = await handshakeError({ hello: { role: ROLE.HOST } });
  assert.match(msg, /role 0 \(host\), expected 1 \(firmware\)/);
  assert.doesNotMatch(msg, /is the firmware running/);
});

test('HELLO reply echoing another nonce: the error shows both nonces', async () => {
  const msg = await handshakeError({ hello: { nonceXor: 0x1234 } });
  assert.match(msg, /echoes nonce 0x[0-9a-f]{8}, the host sent 0x[0-9a-f]{8}/);
  assert.doesNotMatch(msg, /is the firmware running/);
});

test('status 2 with matching hashes is not called a schema hash mismatch', async () => {
  const msg = await handshakeError({ hello: { status: HELLO_STATUS.SCHEMA_MISMATCH } });
  assert.match(msg, /status 2 \(schema mismatch\) although it reports the host's own schema hash 0x[0-9a-f]{8}/);
  assert.doesNotMatch(msg, /schema hash mismatch \(host/);
});

test('status 2 with a different hash is a schema hash mismatch showing both hashes', async () => {
  const msg = await handshakeError({ hello: { status: HELLO_STATUS.SCHEMA_MISMATCH, schemaHash: 0x12345678 } });
  assert.match(msg, /schema hash mismatch \(host 0x[0-9a-f]{8}, firmware 0x12345678\)/);
});

test('status 1 with the same version, and an unknown status, each say so', async () => {
  assert.match(await handshakeError({ hello: { status: HELLO_STATUS.VERSION_MISMATCH } }), new RegExp(`status 1 \\(version mismatch\\) although it reports the host's own version v${PROTOCOL_VERSION}`));
  assert.match(await handshakeError({ hello: { status: 7 } }), /unknown status 7/);
});

test('no reply at all still says the firmware may not be running', async () => {
  assert.match(await handshakeError({ hello: 'none' }), /no HELLO reply .*is the firmware running/);
});

async function deployOn(behaviour: FakeFirmwareBehaviour, ticksWanted: number) {
  const fw = await FakeFirmware.start(behaviour);
  try {
    const handle = await startDeploy({
      controller: 'lqr', robot, config: testConfig(['safety.armingRamp.seconds=0.1']), arm: true, log: () => {},
      link: { kind: 'serial', port: fw.hostPort },
    });
    const start = performance.now();
    while (handle.mode !== 'ESTOP' && fw.commands < ticksWanted && performance.now() - start < 20_000) await new Promise((r) => setTimeout(r, 20));
    const summary = await handle.stop();
    // stop() closes the link with an ESTOP frame: let the peer read it before it goes away.
    await until(() => fw.estops.length > 0, 'the ESTOP frame of the closing link', 5000);
    return { summary, fw };
  } finally {
    await fw.close();
  }
}

test('a firmware that takes ARM but stays DISARMED is e-stopped by the mode-agreement rule', async () => {
  const { summary, fw } = await deployOn({ onArm: 'stay-disarmed' }, 400);
  assert.equal(fw.arms, 1, 'the host sent ARM');
  assert.equal(summary.estops.length, 1, JSON.stringify(summary.estops));
  const d = summary.estops[0].decision;
  assert.equal(d.rule, 'modeAgreement');
  assert.ok(d.rule === 'modeAgreement' && d.robotMode === 'DISARMED' && d.forMs > d.limitMs && d.limitMs === 200, JSON.stringify(d));
  assert.match(summary.estops[0].reason, /robot reports DISARMED for \d+ ms \(limit 200 ms\)/);
  assert.equal(fw.estops[0].reasonCode, ESTOP_REASON.HOST_SAFETY, 'ESTOP frame carries the host-safety reason code');
});

test('an honest firmware arms and runs; counters reach the summary; replayed frames are not losses', async () => {
  const { summary, fw } = await deployOn({ duplicateStates: true }, 80);
  assert.deepEqual(summary.estops, []);
  assert.ok(summary.armedTicks > 0);
  const c = summary.linkCounters;
  assert.ok(c.framesOk > 20, JSON.stringify(c));
  assert.ok(c.stale > 20, `every STATE was sent twice: ${JSON.stringify(c)}`);
  assert.equal(c.gaps, 0, 'duplicates are counted as stale, never as lost frames');
  // stop() closes the link, which leaves the firmware latched with a link reason code.
  assert.equal(fw.estops.at(-1)?.reasonCode, ESTOP_REASON.LINK);
});

test('fault injection decorates any link: stale state on the serial link latches staleState, reason code 3', async () => {
  const fw = await FakeFirmware.start();
  try {
    const handle = await startDeploy({
      controller: 'lqr', robot, config: testConfig(['safety.staleState.timeoutMs=100', 'safety.armingRamp.seconds=0.1']), arm: true, log: () => {},
      link: { kind: 'serial', port: fw.hostPort }, faults: [parseFault('stale@500ms')],
    });
    const start = performance.now();
    while (handle.mode !== 'ESTOP' && performance.now() - start < 20_000) await new Promise((r) => setTimeout(r, 20));
    const summary = await handle.stop();
    assert.equal(summary.estops[0]?.rule, 'staleState', JSON.stringify(summary.estops));
    const d = summary.estops[0].decision;
    assert.ok(d.rule === 'staleState' && d.ageMs > 100 && d.limitMs === 100);
    assert.equal(fw.estops[0].reasonCode, ESTOP_REASON.LINK);
    assert.match(fw.estops[0].text, /^staleState: newe/, 'the frame carries the rule and the start of the detail (16 bytes)');
  } finally {
    await fw.close();
  }
});
