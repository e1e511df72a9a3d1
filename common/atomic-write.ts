// Write a file so that a crash never leaves it half-written: write a temp file in the same
// directory, fsync it, rename it over the target (atomic on POSIX), then fsync the directory.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const TEMP_NAME = /^\..+\.tmp-\d+-[0-9a-z]+$/;

/** Whether a file name is one of atomicWriteFile's temp files (left behind only by a crash). */
export function isAtomicWriteTemp(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** The temp file a write to `file` goes through first (same directory, so the rename is atomic). */
export function atomicTempPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

export function atomicWriteFile(file: string, data: string | Uint8Array): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = atomicTempPath(file);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w');
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw err;
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some filesystems do not allow fsync on a directory; the rename is still atomic */
  }
}
