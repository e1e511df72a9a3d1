// `deploy --realtime`: ask the OS to run the control loop ahead of everything else on the
// machine. Three independent steps, each reported (applied, or why not), none fatal:
//  - process priority (nice -20) via os.setPriority: needs root or CAP_SYS_NICE;
//  - SCHED_FIFO for every thread of the process via `chrt` (util-linux): needs root,
//    CAP_SYS_NICE or an rtprio limit (limits.conf); the kernel's RT throttling
//    (sched_rt_runtime_us) still leaves 5 % of each second to other tasks;
//  - CPU pinning of every thread to the last CPU via `taskset`, so the loop does not migrate.
// Threads started later (the ticker, the sim link, onnxruntime) inherit all three, so call it
// before the run starts.
import { spawnSync } from 'node:child_process';
import { constants, cpus, setPriority } from 'node:os';

/** The SCHED_FIFO priority: above ordinary RT helpers (50 is the kernel's IRQ thread default), below watchdogs (99). */
export const REALTIME_FIFO_PRIORITY = 80;

function tool(cmd: string, args: string[]): { ok: boolean; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${cmd} not available (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { ok: false, why: `${cmd} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  return { ok: true, why: '' };
}

/**
 * Apply what the OS permits; returns one line per step saying what happened. `pin: false` skips
 * pinning. Every thread gets SCHED_FIFO, V8's GC helpers too: the control thread waits for them
 * inside a garbage collection, and left in the ordinary class on a loaded machine they stretched
 * those pauses to several ms (measured: 120 missed ticks of 3000 against 5).
 */
export function applyRealtime(pid = process.pid, options: { pin?: boolean } = {}): string[] {
  const lines: string[] = [];
  try {
    setPriority(pid, constants.priority.PRIORITY_HIGHEST);
    lines.push('process priority set to nice -20');
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { info?: { code?: string } };
    lines.push(`process priority not raised (${e.info?.code ?? e.code ?? e.message}): needs root or CAP_SYS_NICE`);
  }
  if (process.platform !== 'linux') {
    lines.push(`SCHED_FIFO and CPU pinning are Linux only (this is ${process.platform})`);
    return lines;
  }
  const fifo = tool('chrt', ['--fifo', '--all-tasks', '--pid', String(REALTIME_FIFO_PRIORITY), String(pid)]);
  lines.push(fifo.ok ? `SCHED_FIFO priority ${REALTIME_FIFO_PRIORITY} for every thread` : `SCHED_FIFO not set: ${fifo.why} (needs root, CAP_SYS_NICE or an rtprio limit)`);
  if (options.pin === false) return lines;
  const cpu = cpus().length - 1;
  const pin = tool('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)]);
  lines.push(pin.ok ? `pinned to CPU ${cpu}` : `not pinned: ${pin.why}`);
  return lines;
}
