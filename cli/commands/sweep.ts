// `ballbot sweep`: enqueue a sweep's training runs as BullMQ jobs in Redis, or (--report) write
// the table and plot of its finished runs as `ballbot compare` does.
import { parseCommand, printJsonLine, UsageError } from '../args.js';
import { redactUrl } from '../../training/distributed/redis-connection.js';
import { enqueueSweep, sweepJobs, sweepReport } from '../../training/distributed/sweep-queue.js';
import { loadSweep } from '../../training/distributed/sweep-spec.js';

const usage = `usage: ballbot sweep --config sweep.yaml --redis URL [--redis-ca FILE] [--dry-run] [--json]
       ballbot sweep --report (--config sweep.yaml | --name NAME) --redis URL --out DIR [--json]
       ballbot sweep --status (--config sweep.yaml | --name NAME) --redis URL [--json]

  --config FILE    sweep file (YAML): name, config (a training config), set, grid, random, seeds,
                   evals, episodes, attempts (docs/distributed.md)
  --redis URL      redis://[user:password@]HOST:PORT or rediss://... (TLS)
  --redis-ca FILE  PEM of the CA that signed the Redis server's certificate (rediss:// with a private CA)
  --dry-run        list the runs without enqueueing them
  --report         write compare.md, compare-summary.csv, compare-curves.csv, compare.svg, compare.json
                   of the sweep's finished jobs to --out DIR (one row per variant, mean ± std over seeds)
  --status         each job's state, progress (env steps, steps/s) and attempts
  --name NAME      the sweep to report on (default: the name in --config)
  --json           one JSON object on the last line of stdout`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        config: { type: 'string' }, redis: { type: 'string' }, 'redis-ca': { type: 'string' }, 'dry-run': { type: 'boolean' },
        report: { type: 'boolean' }, status: { type: 'boolean' }, name: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  const plan = v.config ? loadSweep(v.config) : null;
  if (!v.redis && !v['dry-run']) throw new UsageError(`--redis is required\n${usage}`);
  const endpoint = { url: v.redis ?? '', caFile: v['redis-ca'] };

  const name = v.name ?? plan?.spec.name;
  if (v.status) {
    if (!name) throw new UsageError(`--status needs --name NAME or --config sweep.yaml\n${usage}`);
    const { rows, counts } = await sweepJobs(endpoint, name);
    for (const r of rows) {
      const p = r.progress;
      const progress = p ? `${p.envSteps}/${p.totalSteps} steps${r.state === 'active' ? `, ${p.stepsPerSecond} steps/s` : ''}` : '-';
      process.stderr.write(`${r.id}  ${r.state.padEnd(9)}  ${progress}  attempts ${r.attemptsStarted}${r.failedReason ? `  ${r.failedReason}` : ''}\n`);
    }
    process.stderr.write(`sweep ${name}: ${counts.completed} completed, ${counts.pending} pending or running, ${counts.failed} failed\n`);
    if (v.json) printJsonLine({ counts, jobs: rows });
    return 0;
  }
  if (v.report) {
    if (!name) throw new UsageError(`--report needs --name NAME or --config sweep.yaml\n${usage}`);
    if (!v.out) throw new UsageError(`--report needs --out DIR\n${usage}`);
    const report = await sweepReport(endpoint, name, v.out);
    process.stderr.write(`\n${report.markdown}\nplot: ${report.files.plot}\n`);
    if (report.counts.pending || report.counts.failed) process.stderr.write(`note: ${report.counts.pending} job(s) still pending and ${report.counts.failed} failed are not in the table\n`);
    if (v.json) printJsonLine({ counts: report.counts, files: report.files });
    return 0;
  }
  if (!plan) throw new UsageError(`--config sweep.yaml is required\n${usage}`);
  for (const r of plan.runs) process.stderr.write(`${r.id}: ${r.variant}, seed ${r.seed}\n`);
  if (v['dry-run']) {
    if (v.json) printJsonLine({ sweep: plan.spec.name, runs: plan.runs.map((r) => ({ id: r.id, variant: r.variant, seed: r.seed })) });
    return 0;
  }
  const { added, existing } = await enqueueSweep(endpoint, plan);
  process.stderr.write(`sweep ${plan.spec.name}: ${added} job(s) enqueued at ${redactUrl(endpoint.url)}${existing ? `, ${existing} already queued` : ''}; run \`ballbot worker --redis URL\` on any machine\n`);
  if (v.json) printJsonLine({ sweep: plan.spec.name, added, existing, jobs: plan.runs.map((r) => r.id) });
  return 0;
}
