// `ballbot compare`: train several algorithms over seeds on one task, evaluate them on the
// same held-out episodes along the way, and write a table (Markdown + CSV) and a plot (SVG)
// of success rate, return and action smoothness against env steps and wall-clock, with the
// LQR baseline as a row (ballbot tasks).
import { MAX_SEED, numberFlag, parseCommand, printJsonLine, UsageError } from '../args.js';
import { existsSync } from 'node:fs';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { COMPARE_ALGOS, defaultConfigFile, runComparison } from '../../training/compare.js';

const usage = `usage: ballbot compare --algos ppo,sac,td3,a2c --task TASK --steps N [--seeds K] [--out DIR]
                      [--evals E] [--episodes M] [--eval-seed S] [--stress FILE | --no-stress]
                      [--set key.path=value ...] [--no-progress] [--json]

  --algos LIST     comma-separated algorithms (${COMPARE_ALGOS.join(', ')}); each uses configs/train/<algo>-<task>.yaml
  --task TASK      pendulum, balance, velocity, terrain
  --steps N        env steps per run (overrides each config's totalSteps)
  --seeds K        seeds 1..K per algorithm (default 2), trained one after the other
  --out DIR        output directory (default runs/compare-<task>): compare.md, compare-summary.csv,
                   compare-curves.csv, compare.svg, compare.json, runs/<algo>-seed<k>/ (each with policy.onnx)
  --evals E        evaluations along each run (default 4; the last at the end)
  --episodes M     held-out episodes per evaluation (default 20; the same episodes for every algorithm)
  --eval-seed S    held-out seed block (default 0)
  --stress FILE    ballbot tasks: also evaluate the final policies and the LQR on this randomization
                   YAML (rows "<ALGO> (stress)"; default configs/randomization/stress.yaml)
  --no-stress      skip the stress rows
  --set k=v        override a config key for every algorithm (e.g. --set numEnvs=16)
  --json           one JSON object on the last line: the summary rows and the output files`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: {
        algos: { type: 'string' }, task: { type: 'string' }, steps: { type: 'string' }, seeds: { type: 'string' }, out: { type: 'string' },
        evals: { type: 'string' }, episodes: { type: 'string' }, 'eval-seed': { type: 'string' }, stress: { type: 'string' }, 'no-stress': { type: 'boolean' }, set: { type: 'string', multiple: true },
        'no-progress': { type: 'boolean' }, json: { type: 'boolean' },
      },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.algos) throw new UsageError(`--algos is required\n${usage}`);
  if (!v.task) throw new UsageError(`--task is required\n${usage}`);
  if (v.steps === undefined) throw new UsageError(`--steps is required\n${usage}`);
  const algos = v.algos.split(',').map((a) => a.trim().toLowerCase()).filter((a) => a.length > 0);
  const unknown = algos.filter((a) => !(COMPARE_ALGOS as readonly string[]).includes(a));
  if (unknown.length) throw new UsageError(`--algos: unknown algorithm(s) ${unknown.join(', ')}; choose from ${COMPARE_ALGOS.join(', ')}`);
  if (new Set(algos).size !== algos.length) throw new UsageError(`--algos lists an algorithm twice: ${v.algos}`);
  const missing = algos.filter((a) => !existsSync(defaultConfigFile(a, v.task!)));
  if (missing.length) throw new UsageError(`no shipped config for ${missing.map((a) => `${a}-${v.task}.yaml`).join(', ')} in configs/train/`);
  if (v.stress !== undefined && v['no-stress']) throw new UsageError('give at most one of --stress and --no-stress');
  if (v.stress !== undefined) loadRandomizationConfig(v.stress); // a bad file fails now, naming file and key, not after training
  const result = await runComparison({
    algos,
    task: v.task,
    steps: numberFlag(v.steps, 'steps', 0, { integer: true, min: 1 }),
    seeds: numberFlag(v.seeds, 'seeds', 2, { integer: true, min: 1, max: 100 }),
    outDir: v.out ?? `runs/compare-${v.task}`,
    evalPoints: numberFlag(v.evals, 'evals', 4, { integer: true, min: 1, max: 100 }),
    evalEpisodes: numberFlag(v.episodes, 'episodes', 20, { integer: true, min: 1, max: 10000 }),
    evalSeed: numberFlag(v['eval-seed'], 'eval-seed', 0, { integer: true, min: 0, max: MAX_SEED }),
    stressRandomization: v['no-stress'] ? null : v.stress,
    overrides: [...(v.set ?? [])],
    progress: !v['no-progress'],
  });
  process.stderr.write(`\n${await import('node:fs').then((fs) => fs.readFileSync(result.files.markdown, 'utf8'))}\nplot: ${result.files.plot}\n`);
  if (v.json) printJsonLine({ summary: result.summary, files: result.files });
  return 0;
}
