// The C reference firmware, built with gcc -Wall -Wextra -Werror -std=c99 and run on the host:
// its unit tests (watchdog, e-stop latch, torque limits, handshake, decoder limits) and the
// schema text it carries, which must equal the TS definition byte for byte.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildFirmware } from '../../firmware-bridge/firmware-build.js';
import { schemaText } from '../../firmware-bridge/messages.js';

describe('C reference firmware', () => {
  const fw = buildFirmware();

  it('passes its host unit tests', () => {
    const r = spawnSync(fw.testFirmware, [], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const m = /(\d+) checks, 0 failures/.exec(r.stdout);
    assert.ok(m && Number(m[1]) > 50, r.stdout);
  });

  it('carries the same schema text as messages.ts', () => {
    assert.equal(execFileSync(fw.testFirmware, ['--schema']).toString(), schemaText());
  });
});
