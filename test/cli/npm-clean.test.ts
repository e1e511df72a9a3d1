// `npx ballbot` prints nothing but the command's own output: no npm config warnings (an
// unknown project config in .npmrc warned on every run), and every dependency install script
// npm knows of is reviewed and denied in package.json's allowScripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { allowScripts?: Record<string, boolean> };

test('npx ballbot --help writes its usage to stdout and nothing to stderr', () => {
  for (const [cmd, args] of [['npx', ['--no-install', 'ballbot', '--help']], [process.execPath, ['bin/ballbot.js', '--help']]] as const) {
    const r = spawnSync(cmd, [...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    assert.match(r.stdout, /usage: ballbot <command>/);
    assert.equal(r.stderr, '', `${cmd} ${args.join(' ')} wrote to stderr`);
  }
});

test('every dependency with an install script is denied in package.json allowScripts', () => {
  const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript).map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.ok(withScripts.length > 0, 'the lock file lists install scripts (onnxruntime-node has one)');
  for (const name of withScripts) assert.equal(pkg.allowScripts?.[name], false, `${name} has an install script: deny it in allowScripts`);

  // npm's own view, where this npm has the command: nothing left unreviewed.
  const r = spawnSync('npm', ['install-scripts', 'ls', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) assert.deepEqual(JSON.parse(r.stdout).allowScripts, [], r.stdout);
  else assert.match(r.stderr + r.stdout, /Unknown command|not a valid|EUSAGE/i, `npm install-scripts ls failed: ${r.stderr}`);
});
