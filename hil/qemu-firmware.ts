// The Cortex-M3 firmware booted on an emulated Stellaris LM3S6965 evaluation board
// (qemu-system-arm -M lm3s6965evb). UART0, the protocol UART, is a QEMU pty the host opens
// like a USB-serial adapter; UART1, the plant channel, is QEMU's stdio. The board's clock is
// QEMU's virtual clock without instruction counting, so it runs at real time like a crystal
// (the host maps firmware time onto its own clock at rate 1). With -icount the board's time
// fell to a fraction of real time on a loaded machine and every state looked stale. A QEMU
// thread descheduled for longer than the board's hardware watchdog shows up as a late tick:
// the watchdog's early warning latches the e-stop, as it would on a board that stalled.
import { spawn, type ChildProcess } from 'node:child_process';
import { buildMcuFirmware, checkMcuToolchain } from '../firmware-bridge/firmware-build.js';
import type { FirmwareProcess } from './firmware-process.js';

const PTY_TIMEOUT_MS = 10_000;

export function qemuArgs(elf: string): string[] {
  return [
    '-M', 'lm3s6965evb', '-nodefaults', '-nic', 'none', '-display', 'none', '-monitor', 'none',
    '-kernel', elf,
    '-serial', 'pty', // UART0: the protocol UART
    '-chardev', 'stdio,id=plant,signal=off', '-serial', 'chardev:plant', // UART1: the plant channel
  ];
}

/** Reads QEMU's "char device redirected to /dev/pts/N (label serial0)" from the start of its stdout. */
function readPtyPath(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const fail = (why: string) => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`qemu target: ${why}`));
    };
    const timer = setTimeout(() => fail(`QEMU did not report its pty within ${PTY_TIMEOUT_MS / 1000} s:\n${text}`), PTY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const m = /char device redirected to (\S+) \(label serial0\)\r?\n/.exec(text);
      if (!m) return;
      cleanup();
      // What followed the line is the board's first plant-channel output: hand it back.
      const rest = Buffer.from(text.slice(m.index + m[0].length), 'latin1');
      child.stdout!.pause();
      if (rest.length) child.stdout!.unshift(rest);
      resolve(m[1]);
    };
    const onExit = (code: number | null) => fail(`QEMU exited (code ${code}) before it opened the pty:\n${text}`);
    const onError = (err: Error) => fail(`cannot start qemu-system-arm: ${err.message}`);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

export async function startQemuFirmware(): Promise<FirmwareProcess> {
  checkMcuToolchain(true);
  const build = buildMcuFirmware();
  const child = spawn('qemu-system-arm', qemuArgs(build.elf), { stdio: ['pipe', 'pipe', 'pipe'] });
  // QEMU does not exit when its stdin closes (the host process does): end it with this process.
  const endWithUs = () => child.kill('SIGKILL');
  process.once('exit', endWithUs);
  child.once('exit', () => process.off('exit', endWithUs));
  const hostPort = await readPtyPath(child);
  return {
    child, hostPort,
    description: `Cortex-M3 firmware on QEMU lm3s6965evb (${build.sizeReport.replace(/^firmware size: /, '')})`,
    release: async () => {},
  };
}
