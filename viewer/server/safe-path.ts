// Which file a /files/<id>/<name> request may read. The server serves only the files a source
// lists: a file source its own name, a run directory a fixed set of its top-level files that
// exist (after resolving symlinks, inside the directory). Every path segment is decoded once
// and anything that could climb out (.., ., empty, separators, NUL) is refused before touching
// the disk.
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

/** Files of a run directory the viewer lists and serves (the rest, e.g. checkpoints, stays private). */
export const RUN_FILES = ['metrics.csv', 'config.json', 'curves.svg', 'eval.json', 'policy.onnx'] as const;

/** The real path of `name` inside `root` if it is a regular file there, else null. */
function realFileInside(root: ServedRoot, name: string): string | null {
  try {
    const real = realpathSync(join(root.realPath, name));
    return statSync(real).isFile() && real.startsWith(root.realPath + sep) ? real : null;
  } catch {
    return null;
  }
}

/** The names a source lists (and so may serve). */
export function listedFiles(root: ServedRoot): string[] {
  if (!root.isDirectory) return [basename(root.realPath)];
  return RUN_FILES.filter((name) => realFileInside(root, name) !== null);
}

/** The real path of the requested file if it is one the source lists, else null. */
export function resolveServedFile(root: ServedRoot, listed: readonly string[], rawSegments: string[]): string | null {
  const segments = decodeSegments(rawSegments);
  if (!segments || segments.length !== 1 || !listed.includes(segments[0])) return null;
  if (!root.isDirectory) return root.realPath;
  return realFileInside(root, segments[0]);
}
