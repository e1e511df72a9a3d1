// The C reference firmware, built with gcc -Wall -Wextra -Werror -std=c99 and run on the host:
// its unit tests (watchdog, e-stop latch, torque limits, handshake, decoder limits) and the
// schema text it carries, which must equal the TS definition byte for byte.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { buildFirmware, firmwareSourceDir } from '../../firmware-bridge/firmware-build.js';
import { schemaText } from '../../firmware-bridge/messages.js';

describe('C reference firmware', () => {
  const fw = buildFirmware();

  it('passes its host unit tests', () => {
    const r = spawnSync(fw.testFirmware, [], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = /(\d+) checks, 0 failures/.exec(r.stdout);
    assert.ok(m && Number(m[1]) > 50, r.stdout);
  });

  it('its decoder survives 200k mutated frames under AddressSanitizer + UBSan with no false accept', () => {
    execFileSync('make', ['-s', '-C', firmwareSourceDir(), `BUILD=${fw.dir}`, 'fuzz']);
    const r = spawnSync(join(fw.dir, 'bb_fuzz'), ['200000', '99'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [frames, accepted, trueAccepts, falseAccepts] = r.stdout.trim().split(' ').map(Number);
    assert.equal(frames, 200000);
    assert.ok(accepted > 0 && trueAccepts === accepted, r.stdout);
    assert.equal(falseAccepts, 0);
  });

  it('carries the same schema text as messages.ts', () => {
    assert.equal(execFileSync(fw.testFirmware, ['--schema']).toString(), schemaText());
  });
});
