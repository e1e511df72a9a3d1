// Paths to the configs shipped with the package (works from dist/ and from source).
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'configs'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the ballbot package root (configs/ folder)');
}

export const PACKAGE_ROOT = findRoot();

export function configPath(...parts: string[]): string {
  return join(PACKAGE_ROOT, 'configs', ...parts);
}

export const DEFAULT_ROBOT_CONFIG = configPath('robot', 'default.yaml');
export const DEFAULT_RANDOMIZATION_CONFIG = configPath('randomization', 'default.yaml');
