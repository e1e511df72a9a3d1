// PPO's networks for acting, in plain JS (no tfjs): the Gaussian actor and the critic over
// one flat parameter vector. The learner's PpoAgent holds one (refreshed after every update)
// and rollout actors on worker threads hold one fed with published weights, so both sample
// actions and log-probs with the same code.
import type { Rng } from '../../sim/rng.js';
import type { ParamLayout } from '../networks/flat-params.js';
import { MlpInference, type MlpDef } from '../networks/mlp.js';
import { assembleTrunkInput, EncoderInference, type EncoderDef, type ExtraInputShape } from '../networks/encoders.js';
import { ppoNetworks } from '../networks/layouts.js';
import type { TrainConfig } from '../config.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface PpoActOutput {
  actions: Float32Array;
  logProbs: Float32Array;
  means: Float32Array;
  values: Float32Array;
}

/** Extra observation batches by input name, rows like obs (raw: the encoders scale them). */
export type ExtraBatches = Readonly<Record<string, Float32Array>>;

export class PpoPolicy {
  readonly layout: ParamLayout;
  readonly actorDef: MlpDef;
  readonly criticDef: MlpDef;
  /** The flat parameters (actor, critic, logStd) the forward passes read. */
  readonly values: Float32Array;
  private readonly actorInf: MlpInference;
  private readonly criticInf: MlpInference;
  readonly encoders: readonly EncoderDef[];
  private readonly encoderInf: EncoderInference[];
  private actorIn: Float32Array;

  constructor(config: TrainConfig, readonly obsSize: number, readonly criticObsSize: number, readonly actSize: number, maxBatch: number, extras: readonly ExtraInputShape[] = []) {
    const nets = ppoNetworks(config, obsSize, criticObsSize, actSize, extras);
    this.layout = nets.layout;
    this.actorDef = nets.actor;
    this.criticDef = nets.critic;
    this.encoders = nets.encoders;
    this.values = new Float32Array(this.layout.size);
    this.actorInf = new MlpInference(this.layout, this.actorDef, maxBatch);
    this.criticInf = new MlpInference(this.layout, this.criticDef, maxBatch);
    this.encoderInf = nets.encoders.map((e) => new EncoderInference(this.layout, e, maxBatch));
    this.actorIn = new Float32Array(this.encoders.length ? maxBatch * this.actorDef.sizes[0] : 0);
  }

  /** The actor trunk's input: normalized obs, then each encoder's features (obs itself when there are no encoders). */
  actorInput(obs: Float32Array, n: number, extras?: ExtraBatches): Float32Array {
    if (!this.encoders.length) return obs;
    const width = this.actorDef.sizes[0];
    if (this.actorIn.length < n * width) this.actorIn = new Float32Array(n * width);
    const features = this.encoderInf.map((inf) => {
      const raw = extras?.[inf.def.input];
      if (!raw) throw new Error(`the policy reads extra observation '${inf.def.input}', the env gave ${extras ? Object.keys(extras).join(', ') || 'none' : 'none'}`);
      return inf.forward(this.values, raw, n);
    });
    const x = assembleTrunkInput(this.actorIn, width, [obs.subarray(0, n * this.obsSize), ...features], n);
    return x.subarray(0, n * width);
  }

  get logStd(): Float32Array {
    return this.layout.view(this.values, 'logStd');
  }

  /** Sample actions for `n` envs; writes actions (unclipped), log-probs, means and values. */
  act(obs: Float32Array, criticObs: Float32Array, n: number, rng: Rng, out: PpoActOutput, extras?: ExtraBatches): void {
    const a = this.actSize;
    const mean = this.actorInf.forward(this.values, this.actorInput(obs, n, extras), n);
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
  meanAction(obs: Float32Array, n: number, extras?: ExtraBatches): Float32Array {
    return this.actorInf.forward(this.values, this.actorInput(obs, n, extras), n);
  }
}
