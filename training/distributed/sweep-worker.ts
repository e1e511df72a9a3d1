// `ballbot worker`: takes sweep jobs from the BullMQ queue and runs each as an ordinary training
// run in a child process (sweep-child.ts), reporting progress (steps, rate, ETA) to the job and
// the log. A short lock makes a killed worker's job stall quickly; BullMQ's stalled-job check in
// any other worker then puts it back on the queue, and it runs again from the start.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError, Worker } from 'bullmq';
import { probeRedis, type RedisEndpoint } from './redis-connection.js';
import { currentPackageVersion } from './redis-run.js';
import { SWEEP_PREFIX, SWEEP_QUEUE, sweepConnection, type SweepJob, type SweepJobResult } from './sweep-queue.js';
import type { ChildMessage } from './sweep-child.js';

export interface SweepWorkerOptions extends RedisEndpoint {
  /** Run directories go to <outDir>/<sweep>/<job id>/. */
  outDir: string;
  concurrency: number;
  /** Job lock (ms): a dead worker's job is taken over about this long after it died. */
  lockMs: number;
  log: (line: string) => void;
}

const CHILD = fileURLToPath(new URL('./sweep-child.js', import.meta.url));
const PROGRESS_LINE = /train (\d+)% \| (\d+)\/(\d+) steps \| (\S+) steps\/s/;

export async function startSweepWorker(opts: SweepWorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  await probeRedis(opts);
  const children = new Set<ChildProcess>();
  const worker = new Worker(SWEEP_QUEUE, (job: SweepJob) => runJob(job, opts, children), {
    connection: sweepConnection(opts),
    prefix: SWEEP_PREFIX,
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: Math.max(100, Math.floor(opts.lockMs / 2)),
    maxStalledCount: 3,
  });
  worker.on('active', (job) => opts.log(`job ${job.id} (${job.data.variant}, seed ${job.data.seed}): started, attempt ${job.attemptsStarted}`));
  worker.on('completed', (job) => opts.log(`job ${job.id}: done`));
  worker.on('failed', (job, err) => opts.log(`job ${job?.id}: failed: ${err.message}`));
  let lastError = '';
  worker.on('error', (err) => {
    // Reconnect attempts repeat the same error many times a second: say it once.
    if (err.message !== lastError) opts.log(`worker: ${err.message} (retrying)`);
    lastError = err.message;
  });
  worker.on('ready', () => (lastError = ''));
  return {
    worker,
    /** Finish the running jobs, then stop (without waiting for a Redis that is down). */
    async close() {
      const closing = worker.close();
      const idle = async () => {
        while (children.size > 0) await new Promise((r) => setTimeout(r, 200));
        await new Promise((r) => setTimeout(r, 2000)); // time for BullMQ to record the last result
      };
      await Promise.race([closing, idle()]);
      for (const c of children) c.kill('SIGKILL');
    },
  };
}

async function runJob(job: SweepJob, opts: SweepWorkerOptions, children: Set<ChildProcess>): Promise<SweepJobResult> {
  const mine = currentPackageVersion();
  if (job.data.packageVersion !== mine) {
    throw new UnrecoverableError(`job was enqueued by ballbot ${job.data.packageVersion}; this worker runs ${mine}`);
  }
  const runDir = join(opts.outDir, job.data.sweep, String(job.id));
  // Its own process group: a Ctrl-C at the worker's terminal lets the worker finish the job
  // instead of interrupting the run; the IPC channel still ends it if the worker dies.
  const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
  children.add(child);
  opts.log(`job ${job.id}: training in process ${child.pid} -> ${runDir}`);
  const start = performance.now();
  let stderrTail = '';
  let result: ChildMessage | null = null;
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-2000);
    for (const line of text.split('\n')) {
      const m = PROGRESS_LINE.exec(line);
      if (!m) continue;
      const [envSteps, totalSteps, sps] = [Number(m[2]), Number(m[3]), Number(m[4])];
      const eta = sps > 0 ? (totalSteps - envSteps) / sps : NaN;
      void job.updateProgress({ envSteps, totalSteps, stepsPerSecond: sps }).catch(() => undefined);
      opts.log(`job ${job.id}: ${m[1]}% ${envSteps}/${totalSteps} steps, ${m[4]} steps/s, ETA ${Number.isFinite(eta) ? eta.toFixed(0) + ' s' : '-'}`);
    }
  });
  child.on('message', (m: ChildMessage) => (result = m));
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal })); // after its stderr is read to the end
    child.send({ data: job.data, runDir });
  }).finally(() => children.delete(child));
  const outcome = result as ChildMessage | null;
  if (outcome?.type === 'done') {
    opts.log(`job ${job.id}: trained and evaluated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    return { variant: job.data.variant, seed: job.data.seed, points: outcome.points, runDir, host: hostname() };
  }
  const why = outcome?.type === 'error' ? outcome.message : `training process exited (${exit.signal ?? exit.code})\n${stderrTail}`;
  throw new Error(why);
}
