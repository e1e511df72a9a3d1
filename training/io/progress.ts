// A progress bar on stderr with rate and ETA (cli-progress). Silent when stderr is not a TTY
// unless forced, so logs of CI runs stay readable (a summary line per N% is printed instead).
import cliProgress from 'cli-progress';

export class TrainProgress {
  private bar: cliProgress.SingleBar | null = null;
  private lastPrintedPct = -1;

  constructor(private readonly total: number, start: number, private readonly enabled = true) {
    if (!enabled) return;
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'train [{bar}] {percentage}% | {value}/{total} steps | {sps} steps/s | ETA {eta_formatted} | return {ret}{note}',
          stream: process.stderr,
          etaBuffer: 20,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, start, { sps: '-', ret: '-', note: '' });
    }
  }

  /** `note`: extra text after the return (e.g. ' | lag 1.0'). */
  update(steps: number, sps: number, ret: number, note = ''): void {
    if (!this.enabled) return;
    const payload = { sps: sps.toFixed(0), ret: Number.isFinite(ret) ? ret.toFixed(1) : '-', note };
    if (this.bar) {
      this.bar.update(Math.min(steps, this.total), payload);
      return;
    }
    const pct = Math.floor((100 * steps) / this.total / 5) * 5;
    if (pct > this.lastPrintedPct) {
      this.lastPrintedPct = pct;
      process.stderr.write(`train ${pct}% | ${steps}/${this.total} steps | ${payload.sps} steps/s | return ${payload.ret}${note}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
