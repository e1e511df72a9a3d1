// Which file a /files/<id>/<path> request may read. The server serves only the files it was
// given: a file source exposes exactly its own name, a run directory the regular files inside
// it (after resolving symlinks). Every path segment is decoded once and anything that could
// climb out (.., ., empty, separators, NUL) is refused before touching the disk.
import { realpathSync, statSync } from 'node:fs';
import { basename, join, sep } from 'node:path';

export interface ServedRoot {
  /** Real path of the file or directory given on the command line. */
  realPath: string;
  isDirectory: boolean;
}

export function servedRoot(path: string): ServedRoot {
  const realPath = realpathSync(path);
  return { realPath, isDirectory: statSync(realPath).isDirectory() };
}

/** Decode raw URL path segments; null if any is malformed or unsafe. */
export function decodeSegments(rawSegments: string[]): string[] | null {
  const out: string[] = [];
  for (const raw of rawSegments) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '' || s === '.' || s === '..' || /[\\/\0]/.test(s) || s.includes('%')) return null;
    out.push(s);
  }
  return out;
}

/** The real path of the requested file if it is one the server may serve, else null. */
export function resolveServedFile(root: ServedRoot, rawSegments: string[]): string | null {
  const segments = decodeSegments(rawSegments);
  if (!segments || segments.length === 0) return null;
  if (!root.isDirectory) return segments.length === 1 && segments[0] === basename(root.realPath) ? root.realPath : null;
  let real: string;
  try {
    real = realpathSync(join(root.realPath, ...segments));
    if (!statSync(real).isFile()) return null;
  } catch {
    return null;
  }
  return real.startsWith(root.realPath + sep) ? real : null;
}
