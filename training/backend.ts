// TensorFlow.js backend selection: the native `@tensorflow/tfjs-node` when it loads (an
// optional dependency; its install step needs a download that is blocked on many machines),
// otherwise the wasm backend (SIMD, single-threaded). Says which one runs on stderr.
import * as tf from '@tensorflow/tfjs';
import { loadOptionalDependency, OptionalDependencyError } from '../common/optional-dependency.js';

export { tf };

let selected: Promise<string> | null = null;

export function initBackend(options: { quiet?: boolean; prefer?: 'auto' | 'wasm' | 'cpu' } = {}): Promise<string> {
  if (!selected) selected = select(options.prefer ?? 'auto', options.quiet ?? false);
  return selected;
}

async function select(prefer: 'auto' | 'wasm' | 'cpu', quiet: boolean): Promise<string> {
  let reason = '';
  if (prefer === 'auto') {
    try {
      await loadOptionalDependency('@tensorflow/tfjs-node', 'the native TensorFlow backend', () => import('@tensorflow/tfjs-node'));
      if (await tf.setBackend('tensorflow')) return report('tensorflow (tfjs-node, native)', quiet);
      reason = 'tfjs-node loaded but its backend did not initialize';
    } catch (err) {
      const why = err instanceof OptionalDependencyError ? err.reason : String((err as Error).message).split('\n')[0];
      reason = `tfjs-node unavailable: ${why.slice(0, 120)}`;
    }
  }
  if (prefer !== 'cpu') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      tf.enableProdMode();
      return report(`wasm${reason ? ` (${reason})` : ''}`, quiet);
    }
  }
  await tf.setBackend('cpu');
  tf.enableProdMode();
  return report('cpu (plain JS; slow)', quiet);
}

function report(name: string, quiet: boolean): string {
  if (!quiet) process.stderr.write(`tfjs backend: ${name}\n`);
  return tf.getBackend();
}
