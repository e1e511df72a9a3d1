// The virtual robot run in a worker thread, driven from the main thread (HIL, tests). Same
// controls as VirtualRobot; state arrives as messages after every plant step and every
// firmware report. Times are converted to this thread's performance.now() clock.
import { Worker } from 'node:worker_threads';
import { newFirmwareReport, type FirmwareReport, type VirtualRobotOptions } from './serial-virtual-robot.js';

export type RemoteCommand =
  | { kind: 'push'; dvx: number; dvy: number }
  | { kind: 'reset'; initTiltDeg: number }
  | { kind: 'cut' } | { kind: 'restore' }
  | { kind: 'corrupt'; probability: number; seed: number }
  | { kind: 'close' };

type PlainReport = Omit<FirmwareReport, 'torque'> & { torque: number[] };
export type RemoteUpdate =
  | { kind: 'ready'; hostPort: string; timeOrigin: number; controlDt: number; maxTorqueNm: number }
  | { kind: 'update'; report: PlainReport; lastZeroedAtMs: number; ticks: number; missedTicks: number; tiltRad: number; peakTiltRad: number; fallen: boolean; timeS: number }
  | { kind: 'log'; line: string }
  | { kind: 'closed' };

export class RemoteVirtualRobot {
  readonly report: FirmwareReport = newFirmwareReport();
  lastZeroedAtMs = NaN;
  ticks = 0;
  missedTicks = 0;
  tiltRad = 0;
  fallen = false;
  /** Called on every update (every 20 ms or on a firmware mode change) with the peak true tilt since the last one. */
  onStep: ((tiltRad: number, fallen: boolean) => void) | null = null;
  private closed = false;
  private lastTimeS = -1;

  private constructor(
    private readonly worker: Worker,
    readonly hostPort: string,
    readonly controlDt: number,
    readonly maxTorqueNm: number,
    /** Add to a worker performance.now() to get this thread's. */
    private readonly clockShiftMs: number,
  ) {
    worker.on('message', (m: RemoteUpdate) => this.onMessage(m));
  }

  static async start(options: Omit<VirtualRobotOptions, 'log'> & { log?: (line: string) => void } = {}): Promise<RemoteVirtualRobot> {
    const { log, ...data } = options;
    const worker = new Worker(new URL('./serial-virtual-robot-worker.js', import.meta.url), { workerData: data });
    const ready = await new Promise<Extract<RemoteUpdate, { kind: 'ready' }>>((resolve, reject) => {
      worker.on('message', (m: RemoteUpdate) => {
        if (m.kind === 'ready') resolve(m);
        else if (m.kind === 'log') log?.(m.line);
      });
      worker.once('error', (err) => reject(new Error(`virtual robot worker failed: ${err.message}`)));
      worker.once('exit', (code) => reject(new Error(`virtual robot worker exited with code ${code} before it was ready`)));
    });
    worker.removeAllListeners('message');
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    worker.on('error', (err) => log?.(`virtual robot worker error: ${err.message}`));
    if (log) worker.on('message', (m: RemoteUpdate) => { if (m.kind === 'log') log(m.line); });
    return new RemoteVirtualRobot(worker, ready.hostPort, ready.controlDt, ready.maxTorqueNm, ready.timeOrigin - performance.timeOrigin);
  }

  private onMessage(m: RemoteUpdate): void {
    if (m.kind !== 'update') return;
    const r = this.report;
    Object.assign(r, m.report, { torque: r.torque, atMs: m.report.atMs + this.clockShiftMs });
    r.torque.set(m.report.torque);
    this.lastZeroedAtMs = m.lastZeroedAtMs + this.clockShiftMs;
    this.ticks = m.ticks;
    this.missedTicks = m.missedTicks;
    this.tiltRad = m.tiltRad;
    this.fallen = m.fallen;
    if (m.timeS !== this.lastTimeS) {
      this.lastTimeS = m.timeS;
      this.onStep?.(m.peakTiltRad, m.fallen);
    }
  }

  private send(c: RemoteCommand): void {
    if (!this.closed) this.worker.postMessage(c);
  }

  push(dvx: number, dvy: number): void { this.send({ kind: 'push', dvx, dvy }); }
  resetPlant(initTiltDeg = 0): void { this.send({ kind: 'reset', initTiltDeg }); }
  cutLink(): void { this.send({ kind: 'cut' }); }
  restoreLink(): void { this.send({ kind: 'restore' }); }
  setCorruption(probability: number, seed = 1): void { this.send({ kind: 'corrupt', probability, seed }); }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((resolve) => {
      this.worker.on('message', (m: RemoteUpdate) => { if (m.kind === 'closed') resolve(); });
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ kind: 'close' } satisfies RemoteCommand);
    this.closed = true;
    const timer = setTimeout(() => void this.worker.terminate(), 3000);
    await done;
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
