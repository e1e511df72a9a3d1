// A pair of connected pseudo-terminals made by socat: bytes written to one end come out of
// the other, through the kernel's tty layer exactly as with a USB-serial adapter.
import { spawn, type ChildProcess } from 'node:child_process';

export interface PtyPair {
  /** The two device paths, e.g. /dev/pts/3 and /dev/pts/4. */
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot start socat (install it: apt-get install socat): ${(err as Error).message}`);
  }
  const paths: string[] = [];
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not report two ptys within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start socat (install it: apt-get install socat): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited with code ${code} before opening the ptys:\n${log}`));
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      for (const m of chunk.matchAll(/PTY is (\S+)/g)) paths.push(m[1]);
      if (/starting data transfer loop/.test(log) && paths.length >= 2) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume();
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    a: paths[0],
    b: paths[1],
    close: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
