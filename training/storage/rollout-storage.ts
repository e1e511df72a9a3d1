// Preallocated storage for one on-policy rollout of T steps over N envs (row-major [t*N + e]).
export class RolloutStorage {
  readonly obs: Float32Array; // normalized policy input
  readonly criticObs: Float32Array; // normalized critic input (== obs unless asymmetric)
  readonly actions: Float32Array; // unclipped samples (what the log-prob refers to)
  readonly logProbs: Float32Array;
  readonly means: Float32Array; // policy mean at collection, for the analytic KL
  readonly rewards: Float32Array;
  readonly values: Float32Array;
  readonly nextValues: Float32Array;
  readonly terminated: Uint8Array;
  readonly dones: Uint8Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** Raw extra observations (depth, height scan) by name, [n x size] each, rows like obs. */
  readonly extras: Record<string, Float32Array>;
  /** The imitation teacher's action per row (ppo.imitation), or null when no teacher labels the rollout. */
  teacherActions: Float32Array | null = null;
  step = 0;

  constructor(readonly numSteps: number, readonly numEnvs: number, readonly obsSize: number, readonly criticObsSize: number, readonly actSize: number, extraSizes: Readonly<Record<string, number>> = {}) {
    const n = numSteps * numEnvs;
    this.extras = Object.fromEntries(Object.entries(extraSizes).map(([name, size]) => [name, new Float32Array(n * size)]));
    this.obs = new Float32Array(n * obsSize);
    this.criticObs = criticObsSize === obsSize ? this.obs : new Float32Array(n * criticObsSize);
    this.actions = new Float32Array(n * actSize);
    this.logProbs = new Float32Array(n);
    this.means = new Float32Array(n * actSize);
    this.rewards = new Float32Array(n);
    this.values = new Float32Array(n);
    this.nextValues = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.dones = new Uint8Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
  }

  get size(): number {
    return this.numSteps * this.numEnvs;
  }

  get asymmetric(): boolean {
    return this.criticObs !== this.obs;
  }
}
