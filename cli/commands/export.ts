// `ballbot export`: a training run -> one ONNX policy artifact (deterministic actor,
// normalization folded in, metadata for deploy).
import { parseCommand, printJsonLine, UsageError } from '../args.js';
import { exportRunPolicy } from '../../training/io/export-policy.js';
import { loadRunPolicy } from '../../training/io/run-policy.js';

const usage = `usage: ballbot export --run runs/NAME --out policy.onnx [--json]

  --run DIR     run directory (uses its latest checkpoint) or a checkpoint .json file
  --out FILE    the ONNX file to write (atomically)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand({ usage, options: { run: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } } }, argv);
  if (!parsed) return 0;
  const { run: runDir, out, json } = parsed.values;
  if (!runDir || !out) throw new UsageError(`--run and --out are required\n${usage}`);
  const policy = loadRunPolicy(runDir);
  const { bytes, metadata } = exportRunPolicy(policy, out);
  const summary = {
    out, bytes, algo: policy.algo, task: metadata.task, iteration: policy.iteration, envSteps: policy.envSteps,
    observationSize: metadata.observationLayout.length, actionSize: metadata.actionLayout.length,
    controlRateHz: metadata.controlRateHz, robotName: metadata.robotName, robotHash: metadata.robotHash,
  };
  if (json) printJsonLine(summary);
  else console.error(`wrote ${out} (${bytes} bytes, ${policy.algo} actor, task ${metadata.task})`);
  return 0;
}
