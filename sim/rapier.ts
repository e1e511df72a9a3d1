// Rapier is WebAssembly: it must be initialised once per thread before use.
import RAPIER from '@dimforge/rapier3d-compat';

let ready: Promise<typeof RAPIER> | null = null;

export function loadRapier(): Promise<typeof RAPIER> {
  if (!ready) {
    // The compat build warns about deprecated init parameters on every init; keep stderr clean.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).includes('deprecated parameters')) warn(...args);
    };
    ready = RAPIER.init().then(() => {
      console.warn = warn;
      return RAPIER;
    });
  }
  return ready;
}

export type Rapier = typeof RAPIER;
