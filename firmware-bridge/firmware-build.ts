// Builds the C reference firmware for the host (gcc via its Makefile) into a cache directory
// keyed by a hash of the sources, so tests, the virtual robot and HIL share one build and a
// source change always rebuilds. Concurrent callers build in private directories and rename.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FirmwareBuild {
  dir: string;
  testFirmware: string;
  vectors: string;
  hostFirmware: string;
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

export function buildFirmware(): FirmwareBuild {
  const src = firmwareSourceDir();
  const hash = createHash('sha256');
  for (const name of readdirSync(src).filter((n) => /\.(c|h)$|^Makefile$/.test(n)).sort()) {
    hash.update(name).update(readFileSync(join(src, name)));
  }
  const root = process.env.BALLBOT_FIRMWARE_CACHE ?? join(tmpdir(), 'ballbot-firmware');
  const dir = join(root, hash.digest('hex').slice(0, 16));
  const result: FirmwareBuild = {
    dir, testFirmware: join(dir, 'test_firmware'), vectors: join(dir, 'bb_vectors'), hostFirmware: join(dir, 'host_firmware'),
  };
  if (existsSync(result.hostFirmware) && existsSync(result.vectors) && existsSync(result.testFirmware)) return result;
  mkdirSync(root, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    execFileSync('make', ['-s', '-C', src, `BUILD=${tmp}`, 'all'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`firmware-bridge: building the C firmware in ${src} failed:\n${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process won the race: use its build
  }
  return result;
}
