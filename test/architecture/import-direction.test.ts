// The arrows of the architecture, enforced over the source: cli and bench on top; hil above
// deploy and firmware-bridge; deploy, firmware-bridge and training above sim; common at the
// bottom; the viewer's server may use sim, deploy and training. Nothing outside test/ imports
// from test/, and no project module is imported by a computed string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FOLDERS = ['bench', 'cli', 'common', 'deploy', 'firmware-bridge', 'hil', 'sim', 'training', 'viewer/server', 'viewer/page'] as const;
type Folder = (typeof FOLDERS)[number];

const BELOW_CLI: Folder[] = ['hil', 'deploy', 'firmware-bridge', 'training', 'viewer/server', 'viewer/page', 'sim', 'common'];
const ALLOWED: Record<Folder, Folder[]> = {
  cli: BELOW_CLI,
  bench: BELOW_CLI,
  hil: ['deploy', 'firmware-bridge', 'sim', 'common'],
  // The serial RobotLink speaks the firmware-bridge protocol (deploy/links/serial-link.ts).
  deploy: ['firmware-bridge', 'sim', 'common'],
  'firmware-bridge': ['sim', 'common'],
  training: ['sim', 'common'],
  'viewer/server': ['viewer/page', 'deploy', 'training', 'sim', 'common'],
  'viewer/page': [],
  sim: ['common'],
  common: [],
};

function folderOf(file: string): Folder | 'test' | null {
  const rel = relative(ROOT, file).split(sep);
  const top = rel[0] === 'viewer' ? `viewer/${rel[1]}` : rel[0];
  if (top === 'test') return 'test';
  return (FOLDERS as readonly string[]).includes(top) ? (top as Folder) : null;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

const FILES = FOLDERS.flatMap((f) => sources(join(ROOT, f)));
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

test('the source tree was found', () => {
  assert.ok(FILES.length > 100, `${FILES.length} source files under ${ROOT}`);
});

test('imports between top-level folders run only the allowed way', () => {
  const wrong: string[] = [];
  for (const file of FILES) {
    const from = folderOf(file) as Folder;
    for (const m of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const to = folderOf(resolve(dirname(file), m[1]));
      if (to === from) continue;
      if (to === 'test' || to === null || !ALLOWED[from].includes(to)) wrong.push(`${relative(ROOT, file)} (${from}) imports ${m[1]} (${to ?? 'outside the source folders'})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('no project module is imported by a computed string', () => {
  // A bring-your-own env module named by the user (`--env MODULE`) is the one computed import.
  const USER_MODULE_LOADERS = ['training/tasks.ts'];
  const computed: string[] = [];
  for (const file of FILES) {
    if (USER_MODULE_LOADERS.includes(relative(ROOT, file))) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/\bimport\s*\(\s*([^'"\s)][^)]*)\)/g)) computed.push(`${relative(ROOT, file)}: import(${m[1]})`);
  }
  assert.deepEqual(computed, []);
});
