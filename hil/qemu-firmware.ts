import type { FirmwareProcess } from './firmware-process.js';
export async function startQemuFirmware(): Promise<FirmwareProcess> { throw new Error('todo'); }
