// Build the page with esbuild (from npm, bundled three.js: nothing is fetched at run time).
// Built once per server, in memory, from the TypeScript sources in viewer/page/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder up from this module with viewer/page/main.ts. */
export function viewerPageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'viewer', 'page');
    if (existsSync(join(candidate, 'main.ts'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ballbot view: cannot find the page sources (viewer/page/main.ts)');
    dir = parent;
  }
}

export interface PageBundle {
  js: string;
  html: string;
}

export async function buildPage(): Promise<PageBundle> {
  const esbuild = await import('esbuild');
  const pageDir = viewerPageDir();
  const result = await esbuild.build({
    entryPoints: [join(pageDir, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outfile: join(pageDir, 'app.js'), // names the in-memory output; nothing is written
    logLevel: 'silent',
    tsconfig: join(pageDir, 'tsconfig.json'),
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text;
  if (!js) throw new Error('ballbot view: esbuild produced no JavaScript');
  return { js, html: readFileSync(join(pageDir, 'index.html'), 'utf8') };
}
