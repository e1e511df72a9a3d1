// Throughput helpers shared by the benchmarks: interleaved rounds (a busy machine slows
// every candidate alike, so ratios measured in one run stay meaningful) and heap growth.

/** Calls of `step` per second over about `seconds`, after a short warm-up. */
export function rateFor(step: () => void, seconds: number): number {
  for (let i = 0; i < 200; i++) step();
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    for (let i = 0; i < 100; i++) step();
    calls += 100;
  }
  return calls / ((performance.now() - t0) / 1000);
}

/** Alternate short rounds of each candidate within `seconds` each; each one's median rate. */
export function interleaved(candidates: (() => void)[], seconds: number, rounds = 7): number[] {
  const rates = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    candidates.forEach((step, i) => rates[i].push(rateFor(step, seconds / rounds)));
  }
  return rates.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
}

/** Heap growth per call; a GC in between hides growth, so take the smallest non-negative try. */
export function heapGrowth(f: () => void, calls = 5000): number {
  let best = Infinity;
  for (let k = 0; k < 8; k++) {
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) f();
    const after = process.memoryUsage().heapUsed;
    if (after >= before) best = Math.min(best, (after - before) / calls);
  }
  return best;
}
