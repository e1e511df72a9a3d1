// Host and firmware counters side by side, for the HIL report: what the host's serial link
// counted and what the firmware counted of the same link, in one table. The firmware's
// column comes from the virtual robot's reports; against a board (--port) it stays empty.
import type { SerialLink } from '../deploy/links/serial-link.js';
import type { FirmwareReport } from './serial-virtual-robot.js';

export interface CounterRow {
  name: string;
  host: number | null;
  firmware: number | null;
}

export interface LinkCounters {
  rows: CounterRow[];
}

export function linkCounters(link: SerialLink, fw: FirmwareReport | null, hostEstops: number): LinkCounters {
  const h = link.health();
  const f = (pick: (r: FirmwareReport) => number) => (fw ? pick(fw) : null);
  return {
    rows: [
      { name: 'frames received OK', host: h.framesOk, firmware: f((r) => r.rxFramesOk) },
      { name: 'frames dropped as bad (CRC, length, type)', host: h.framesBad, firmware: f((r) => r.rxBad) },
      { name: 'frames missing (sequence gaps)', host: h.gaps, firmware: f((r) => r.rxGaps) },
      { name: 'frames sent', host: null, firmware: f((r) => r.txFrames) },
      { name: 'frames corrupted by the injector', host: null, firmware: f((r) => r.txCorrupted) },
      { name: 'frames dropped, transmit queue full', host: null, firmware: f((r) => r.txDropped) },
      { name: 'e-stops latched (host) / watchdog trips (firmware)', host: hostEstops, firmware: f((r) => r.watchdogTrips) },
      { name: 'hardware watchdog warnings', host: null, firmware: f((r) => r.hwWatchdogWarnings) },
      { name: 'firmware boots', host: null, firmware: f((r) => r.boots) },
      { name: 'firmware control ticks', host: null, firmware: f((r) => r.firmwareTicks) },
    ],
  };
}

export function formatCounters(c: LinkCounters): string {
  const w = Math.max(...c.rows.map((r) => r.name.length));
  const cell = (x: number | null) => (x === null ? '-' : String(x)).padStart(10);
  return [`${'counter'.padEnd(w)}  ${'host'.padStart(10)}  ${'firmware'.padStart(10)}`, ...c.rows.map((r) => `${r.name.padEnd(w)}  ${cell(r.host)}  ${cell(r.firmware)}`)].join('\n');
}
