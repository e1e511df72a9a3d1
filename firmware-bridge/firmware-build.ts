// Builds the C reference firmware into a cache directory keyed by a hash of the sources, so
// tests, the virtual robot and HIL share one build and a source change always rebuilds.
// Concurrent callers build in private directories and rename. Two builds: the host one (gcc:
// unit tests, vector tool, host port) and the Cortex-M3 one for the LM3S6965 board
// (gcc-arm-none-eabi + newlib-nano), which QEMU runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FirmwareBuild {
  dir: string;
  testFirmware: string;
  vectors: string;
  hostFirmware: string;
}

/** The Cortex-M3 build and what its size report said. */
export interface McuFirmwareBuild {
  elf: string;
  board: 'lm3s6965';
  /** Bytes: flash = text + data, RAM = data + bss + stack. */
  size: { flash: number; ram: number; text: number; data: number; bss: number; stack: number };
  /** The build's own size line, e.g. "firmware size: flash 3612 bytes (...)". */
  sizeReport: string;
}

/** The package root (the directory holding package.json), from src or dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('firmware-bridge: cannot find the package root (package.json)');
    dir = up;
  }
  return dir;
}

export function firmwareSourceDir(): string {
  return join(packageRoot(), 'firmware-bridge', 'c');
}

/** Hash of every source, header, assembly file, linker script and Makefile under the C tree. */
function sourceHash(src: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'build') walk(path);
      } else if (/\.(c|h|s|ld)$|^Makefile$/.test(entry.name)) {
        hash.update(relative(src, path)).update(readFileSync(path));
      }
    }
  };
  walk(src);
  return hash.digest('hex').slice(0, 16);
}

/** Runs `make target` into a private directory, then renames it into place (or uses a racer's). */
function cachedMake(name: string, target: string, done: (dir: string) => boolean): string {
  const src = firmwareSourceDir();
  const root = process.env.BALLBOT_FIRMWARE_CACHE ?? join(tmpdir(), 'ballbot-firmware');
  const dir = join(root, `${name}-${sourceHash(src)}`);
  if (done(dir)) return dir;
  mkdirSync(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('make', ['-s', '-C', src, `BUILD=${tmp}`, target], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`firmware-bridge: building the C firmware (make ${target}) in ${src} failed:\n${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process won the race: use its build
  }
  return dir;
}

export function buildFirmware(): FirmwareBuild {
  const paths = (dir: string): FirmwareBuild => ({
    dir, testFirmware: join(dir, 'test_firmware'), vectors: join(dir, 'bb_vectors'), hostFirmware: join(dir, 'host_firmware'),
  });
  const dir = cachedMake('host', 'all', (d) => [paths(d).hostFirmware, paths(d).vectors, paths(d).testFirmware].every((f) => existsSync(f)));
  return paths(dir);
}

/** Debian packages the Cortex-M build and the QEMU target need, checked before use. */
export function checkMcuToolchain(needQemu: boolean): void {
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
  const missing: string[] = [];
  const gcc = run('arm-none-eabi-gcc', ['--specs=nano.specs', '-print-file-name=libc_nano.a']);
  if (gcc.status !== 0) missing.push('gcc-arm-none-eabi');
  else if (!existsSync(gcc.stdout.trim())) missing.push('libnewlib-arm-none-eabi'); // gcc echoes the bare name when it has no such file
  if (needQemu && run('qemu-system-arm', ['--version']).status !== 0) missing.push('qemu-system-arm');
  if (missing.length) {
    throw new Error(`firmware-bridge: the Cortex-M firmware target needs the Debian packages ${missing.join(', ')} (not found); install with: sudo apt-get install ${missing.join(' ')}`);
  }
}

/** Cross-compiles the firmware for the LM3S6965 (Cortex-M3) and reads its size report. */
export function buildMcuFirmware(): McuFirmwareBuild {
  checkMcuToolchain(false);
  const elfOf = (d: string) => join(d, 'lm3s6965', 'ballbot-lm3s6965.elf');
  const sizeOf = (d: string) => join(d, 'lm3s6965', 'size.txt');
  const dir = cachedMake('mcu', 'mcu', (d) => existsSync(elfOf(d)) && existsSync(sizeOf(d)));
  const sizeReport = readFileSync(sizeOf(dir), 'utf8').trim();
  const m = /flash (\d+) bytes \(text (\d+) \+ data (\d+)\), RAM (\d+) bytes \(data \d+ \+ bss (\d+) \+ stack (\d+)\)/.exec(sizeReport);
  if (!m) throw new Error(`firmware-bridge: cannot read the size report ${sizeOf(dir)}: '${sizeReport}'`);
  const [flash, text, data, ram, bss, stack] = m.slice(1).map(Number);
  return { elf: elfOf(dir), board: 'lm3s6965', size: { flash, ram, text, data, bss, stack }, sizeReport };
}
