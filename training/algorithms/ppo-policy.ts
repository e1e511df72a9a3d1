// PPO's networks for acting, in plain JS (no tfjs): the Gaussian actor and the critic over
// one flat parameter vector. The learner's PpoAgent holds one (refreshed after every update)
// and rollout actors on worker threads hold one fed with published weights, so both sample
// actions and log-probs with the same code.
import type { Rng } from '../../sim/rng.js';
import type { ParamLayout } from '../networks/flat-params.js';
import { MlpInference, type MlpDef } from '../networks/mlp.js';
import { ppoNetworks } from '../networks/layouts.js';
import type { TrainConfig } from '../config.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface PpoActOutput {
  actions: Float32Array;
  logProbs: Float32Array;
  means: Float32Array;
  values: Float32Array;
}

export class PpoPolicy {
  readonly layout: ParamLayout;
  readonly actorDef: MlpDef;
  readonly criticDef: MlpDef;
  /** The flat parameters (actor, critic, logStd) the forward passes read. */
  readonly values: Float32Array;
  private readonly actorInf: MlpInference;
  private readonly criticInf: MlpInference;

  constructor(config: TrainConfig, readonly obsSize: number, readonly criticObsSize: number, readonly actSize: number, maxBatch: number) {
    const nets = ppoNetworks(config, obsSize, criticObsSize, actSize);
    this.layout = nets.layout;
    this.actorDef = nets.actor;
    this.criticDef = nets.critic;
    this.values = new Float32Array(this.layout.size);
    this.actorInf = new MlpInference(this.layout, this.actorDef, maxBatch);
    this.criticInf = new MlpInference(this.layout, this.criticDef, maxBatch);
  }

  get logStd(): Float32Array {
    return this.layout.view(this.values, 'logStd');
  }

  /** Sample actions for `n` envs; writes actions (unclipped), log-probs, means and values. */
  act(obs: Float32Array, criticObs: Float32Array, n: number, rng: Rng, out: PpoActOutput): void {
    const a = this.actSize;
    const mean = this.actorInf.forward(this.values, obs, n);
    const logStd = this.logStd;
    let logStdSum = 0;
    for (let j = 0; j < a; j++) logStdSum += logStd[j];
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let j = 0; j < a; j++) {
        const eps = rng.normal();
        const m = mean[i * a + j];
        out.means[i * a + j] = m;
        out.actions[i * a + j] = m + Math.exp(logStd[j]) * eps;
        sq += eps * eps;
      }
      out.logProbs[i] = -0.5 * sq - logStdSum - 0.5 * a * LOG_2PI;
    }
    this.value(criticObs, n, out.values);
  }

  value(criticObs: Float32Array, n: number, out: Float32Array): void {
    const v = this.criticInf.forward(this.values, criticObs, n);
    for (let i = 0; i < n; i++) out[i] = v[i];
  }

  /** Deterministic action (the mean) for evaluation. */
  meanAction(obs: Float32Array, n: number): Float32Array {
    return this.actorInf.forward(this.values, obs, n);
  }
}
