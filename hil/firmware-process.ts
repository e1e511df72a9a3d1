// The firmware in the virtual robot's loop, as a child process: its stdin/stdout is the plant
// channel (hil/plant-channel.ts) and `hostPort` is the pty a host opens like a USB-serial
// adapter. Two targets run the same C core through the same port header:
//   host  the host port built with gcc, on one end of a socat pty pair (the host opens the other)
//   qemu  the Cortex-M3 build booted on an emulated LM3S6965 board (QEMU lm3s6965evb); its protocol UART is a
//         QEMU pty, its second UART the plant channel (hil/qemu-firmware.ts)
import { spawn, type ChildProcess } from 'node:child_process';
import { buildFirmware } from '../firmware-bridge/firmware-build.js';
import { openPtyPair } from '../firmware-bridge/pty-pair.js';
import { startQemuFirmware } from './qemu-firmware.js';

export type FirmwareTarget = 'host' | 'qemu';
export const FIRMWARE_TARGETS: readonly FirmwareTarget[] = ['host', 'qemu'];

export interface FirmwareProcess {
  readonly child: ChildProcess;
  /** The port a host connects to (like /dev/ttyACM0). */
  readonly hostPort: string;
  /** What runs the firmware, for logs and reports. */
  readonly description: string;
  /** After the child exited: release what it used (the socat pair). */
  release(): Promise<void>;
}

export async function startFirmwareProcess(target: FirmwareTarget): Promise<FirmwareProcess> {
  if (target === 'qemu') return startQemuFirmware();
  const build = buildFirmware();
  const pty = await openPtyPair();
  const child = spawn(build.hostFirmware, [pty.a], { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => reject(new Error(`virtual robot: cannot start the host firmware ${build.hostFirmware}: ${err.message}`)));
    });
  } catch (err) {
    await pty.close();
    throw err;
  }
  return { child, hostPort: pty.b, description: 'host firmware (gcc) on a socat pty pair', release: () => pty.close() };
}
