// The C reference firmware, built with gcc -Wall -Wextra -Werror -std=c99 and run on the host:
// its unit tests (watchdog, e-stop latch, torque limits, handshake, decoder limits) and the
// schema text it carries, which must equal the TS definition byte for byte. And the same core
// cross-compiled for the LM3S6965 (Cortex-M3) with the same warnings as errors: an Arm ELF
// whose vector table boots, within the part's flash and RAM.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { buildFirmware, buildMcuFirmware, firmwareSourceDir } from '../../firmware-bridge/firmware-build.js';
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

  it('cross-compiles for the LM3S6965 (Cortex-M3, -Wall -Wextra -Werror) into an image that fits the part', () => {
    const mcu = buildMcuFirmware();
    assert.match(mcu.sizeReport, /^firmware size: flash \d+ bytes \(text \d+ \+ data \d+\), RAM \d+ bytes/);
    assert.equal(mcu.size.flash, mcu.size.text + mcu.size.data);
    assert.equal(mcu.size.ram, mcu.size.data + mcu.size.bss + mcu.size.stack);
    assert.ok(mcu.size.text > 2000 && mcu.size.flash <= 256 * 1024, mcu.sizeReport);
    assert.ok(mcu.size.stack >= 1024 && mcu.size.ram <= 64 * 1024, mcu.sizeReport);
    const elf = readFileSync(mcu.elf);
    assert.equal(elf.toString('latin1', 1, 4), 'ELF');
    assert.equal(elf[4], 1, '32-bit');
    assert.equal(elf.readUInt16LE(18), 40, 'EM_ARM');
    // The vector table at address 0 (the loadable segment there): initial SP at the top of the
    // stack in RAM, reset vector in flash with the Thumb bit set.
    const phoff = elf.readUInt32LE(28), phentsize = elf.readUInt16LE(42), phnum = elf.readUInt16LE(44);
    const headers = Array.from({ length: phnum }, (_, i) => phoff + i * phentsize);
    const atZero = headers.find((h) => elf.readUInt32LE(h) === 1 /* PT_LOAD */ && elf.readUInt32LE(h + 8) === 0);
    assert.ok(atZero !== undefined, 'a segment loaded at address 0');
    const segment = elf.readUInt32LE(atZero + 4);
    const sp = elf.readUInt32LE(segment), reset = elf.readUInt32LE(segment + 4);
    assert.ok(sp > 0x20000000 && sp <= 0x20000000 + 64 * 1024 && sp % 8 === 0, `initial SP 0x${sp.toString(16)}`);
    assert.ok(reset % 2 === 1 && reset < 256 * 1024, `reset vector 0x${reset.toString(16)}`);
    // No heap: nothing in the image calls malloc.
    const symbols = execFileSync('arm-none-eabi-nm', [mcu.elf]).toString();
    assert.doesNotMatch(symbols, /\b(malloc|_sbrk|free)\b/);
    assert.match(symbols, /\bbb_fw_tick\b/);
  });
});
