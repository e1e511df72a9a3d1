// Generalized advantage estimation over a [T x N] rollout (row t = step, column = env).
// `nextValues[t]` is V of the observation after step t: the next step's value when the
// episode goes on, V(final observation) when it was truncated by a time limit (so a
// time-out bootstraps), and ignored when it terminated (a fall has no future).

export interface GaeInput {
  numSteps: number;
  numEnvs: number;
  rewards: ArrayLike<number>; // [T*N]
  values: ArrayLike<number>; // [T*N]
  nextValues: ArrayLike<number>; // [T*N]
  terminated: ArrayLike<number>; // [T*N] 1 where the MDP ended
  dones: ArrayLike<number>; // [T*N] 1 where the episode ended (terminated or truncated)
  gamma: number;
  lambda: number;
}

export function computeGae(input: GaeInput, advantages: Float32Array, returns: Float32Array): void {
  const { numSteps: T, numEnvs: N, rewards, values, nextValues, terminated, dones, gamma, lambda } = input;
  for (let e = 0; e < N; e++) {
    let next = 0; // advantage of the following step in the same episode
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + e;
      const bootstrap = terminated[i] ? 0 : gamma * nextValues[i];
      const delta = rewards[i] + bootstrap - values[i];
      const carry = dones[i] ? 0 : gamma * lambda * next;
      next = delta + carry;
      advantages[i] = next;
      returns[i] = next + values[i];
    }
  }
}
