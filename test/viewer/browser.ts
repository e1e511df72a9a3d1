// Headless Debian Chromium driven by playwright-core: never a downloaded browser.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // WebGL through ANGLE on SwiftShader (software): works without a GPU.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'ballbot-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 760 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Pixel statistics of the 3D canvas, read in the page (the renderer keeps its buffer). */
export const CANVAS_STATS = `(() => {
  const c = document.getElementById('scene');
  const t = document.createElement('canvas');
  t.width = c.width; t.height = c.height;
  const g = t.getContext('2d');
  g.drawImage(c, 0, 0);
  const d = g.getImageData(0, 0, t.width, t.height).data;
  let lit = 0, hash = 0;
  const colors = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - 27) + Math.abs(d[i + 1] - 31) + Math.abs(d[i + 2] - 38) > 24) lit++;
    colors.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | (d[i + 2] >> 4));
    hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
  }
  return { width: t.width, height: t.height, litFraction: lit / (d.length / 4), colors: colors.size, hash };
})()`;

export interface CanvasStats {
  width: number;
  height: number;
  litFraction: number;
  colors: number;
  hash: number;
}
