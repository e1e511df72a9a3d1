// Proximal Policy Optimization (Schulman et al. 2017), following CleanRL's ppo_continuous_action
// with the extras of rsl_rl: one fused update of actor and critic per minibatch, clipped
// surrogate, optional value clipping, entropy bonus, per-minibatch advantage normalization,
// global gradient-norm clipping, linear or adaptive-KL learning rate, target-KL early stop.
//
// Networks: separate actor (Gaussian mean, state-independent log-std) and critic MLPs, all
// parameters in one flat vector (see flat-params.ts). Rollout inference runs in plain JS on a
// copy of the parameters (ppo-policy.ts); the update runs on tfjs.
import type { Rng } from '../../sim/rng.js';
import { tf } from '../backend.js';
import { FlatAdam, clipGradNorm, type AdamState } from '../networks/adam.js';
import type { ParamLayout } from '../networks/flat-params.js';
import { initMlp, type MlpDef } from '../networks/mlp.js';
import { PpoPolicy, type PpoActOutput } from './ppo-policy.js';
import { mlpTensorFast as mlpTensor, paramTensor } from '../networks/mlp-tensor.js'; // hand-written backward: fewer kernels
import type { RolloutStorage } from '../storage/rollout-storage.js';
import type { PpoConfig, TrainConfig } from '../config.js';

const LOG_2PI = Math.log(2 * Math.PI);

export interface PpoUpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  clipFrac: number;
  explainedVar: number;
  lr: number;
  epochsRun: number;
}

export interface PpoState {
  theta: Float32Array;
  adam: AdamState;
  lr: number;
}

export class PpoAgent {
  readonly layout: ParamLayout;
  readonly actorDef: MlpDef;
  readonly criticDef: MlpDef;
  readonly theta: tf.Variable<tf.Rank.R1>;
  /** The plain-JS networks for rollouts and evaluation; their parameters are refreshed after every update. */
  readonly policy: PpoPolicy;
  /** CPU copy of theta (the policy's parameters). */
  readonly values: Float32Array;
  readonly adam: FlatAdam;
  readonly cfg: PpoConfig;

  constructor(readonly obsSize: number, readonly criticObsSize: number, readonly actSize: number, config: TrainConfig, rng: Rng, maxBatch: number) {
    this.cfg = config.ppo;
    this.policy = new PpoPolicy(config, obsSize, criticObsSize, actSize, maxBatch);
    this.layout = this.policy.layout;
    this.actorDef = this.policy.actorDef;
    this.criticDef = this.policy.criticDef;
    this.values = this.policy.values;
    initMlp(this.layout, this.values, this.actorDef, rng, 0.01); // small policy head: near-zero initial mean
    initMlp(this.layout, this.values, this.criticDef, rng, 1);
    this.layout.view(this.values, 'logStd').fill(this.cfg.initLogStd);
    this.theta = tf.variable(tf.tensor1d(this.values), true);
    this.adam = new FlatAdam(this.layout.size, this.cfg.lr, 0.9, 0.999, 1e-5); // eps 1e-5 as CleanRL
  }

  get logStd(): Float32Array {
    return this.policy.logStd;
  }

  /** Sample actions for `n` envs; writes actions (unclipped), log-probs, means and values. */
  act(obs: Float32Array, criticObs: Float32Array, n: number, rng: Rng, out: PpoActOutput): void {
    this.policy.act(obs, criticObs, n, rng, out);
  }

  value(criticObs: Float32Array, n: number, out: Float32Array): void {
    this.policy.value(criticObs, n, out);
  }

  /** Deterministic action (the mean) for evaluation. */
  meanAction(obs: Float32Array, n: number): Float32Array {
    return this.policy.meanAction(obs, n);
  }

  /** Run the epochs of minibatch updates on a filled rollout (advantages computed). */
  update(storage: RolloutStorage, rng: Rng): PpoUpdateStats {
    const cfg = this.cfg;
    const total = storage.size;
    const mbSize = Math.max(1, Math.floor(total / cfg.numMinibatches));
    const numMb = Math.floor(total / mbSize);
    const od = storage.obsSize;
    const cd = storage.criticObsSize;
    const ad = this.actSize;
    const order = new Uint32Array(total);
    for (let i = 0; i < total; i++) order[i] = i;
    const mb = {
      obs: new Float32Array(mbSize * od),
      cobs: new Float32Array(mbSize * cd),
      actions: new Float32Array(mbSize * ad),
      means: new Float32Array(mbSize * ad),
      logProbs: new Float32Array(mbSize),
      adv: new Float32Array(mbSize),
      returns: new Float32Array(mbSize),
      values: new Float32Array(mbSize),
    };
    const oldLogStd = tf.tensor1d(this.logStd.slice());
    const sums = { pg: 0, v: 0, ent: 0, kl: 0, clip: 0, n: 0 };
    let epochsRun = 0;
    let lastKl = 0;
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      shuffle(order, rng);
      let epochKl = 0;
      for (let b = 0; b < numMb; b++) {
        for (let k = 0; k < mbSize; k++) {
          const i = order[b * mbSize + k];
          mb.obs.set(storage.obs.subarray(i * od, i * od + od), k * od);
          if (storage.asymmetric) mb.cobs.set(storage.criticObs.subarray(i * cd, i * cd + cd), k * cd);
          mb.actions.set(storage.actions.subarray(i * ad, i * ad + ad), k * ad);
          mb.means.set(storage.means.subarray(i * ad, i * ad + ad), k * ad);
          mb.logProbs[k] = storage.logProbs[i];
          mb.adv[k] = storage.advantages[i];
          mb.returns[k] = storage.returns[i];
          mb.values[k] = storage.values[i];
        }
        if (cfg.normAdvantages) normalizeInPlace(mb.adv);
        const s = this.step(mb, mbSize, storage.asymmetric, oldLogStd);
        sums.pg += s[0];
        sums.v += s[1];
        sums.ent += s[2];
        sums.kl += s[3];
        sums.clip += s[4];
        sums.n++;
        epochKl += s[3];
        if (cfg.schedule === 'adaptive') {
          // rsl_rl: move the learning rate to keep the policy KL near desiredKl.
          const kl = s[5];
          if (kl > cfg.desiredKl * 2) this.adam.lr = Math.max(1e-5, this.adam.lr / 1.5);
          else if (kl < cfg.desiredKl / 2 && kl > 0) this.adam.lr = Math.min(1e-2, this.adam.lr * 1.5);
        }
      }
      epochsRun++;
      lastKl = epochKl / numMb;
      if (cfg.targetKl !== null && lastKl > cfg.targetKl) break;
    }
    oldLogStd.dispose();
    this.values.set(this.theta.dataSync());
    return {
      policyLoss: sums.pg / sums.n,
      valueLoss: sums.v / sums.n,
      entropy: sums.ent / sums.n,
      approxKl: lastKl,
      clipFrac: sums.clip / sums.n,
      explainedVar: explainedVariance(storage.values, storage.returns),
      lr: this.adam.lr,
      epochsRun,
    };
  }

  /**
   * One fused gradient step on a minibatch: the whole loss (policy + value + entropy) in
   * one variableGrads over the flat parameter vector. Returns [pg, v, ent, approxKl, clipFrac, policyKl].
   */
  private step(
    mb: { obs: Float32Array; cobs: Float32Array; actions: Float32Array; means: Float32Array; logProbs: Float32Array; adv: Float32Array; returns: Float32Array; values: Float32Array },
    n: number,
    asymmetric: boolean,
    oldLogStd: tf.Tensor1D,
  ): Float32Array {
    const cfg = this.cfg;
    const od = this.obsSize;
    const ad = this.actSize;
    let metrics: tf.Tensor | null = null;
    tf.tidy(() => {
      const obs = tf.tensor2d(mb.obs, [n, od]);
      const cobs = asymmetric ? tf.tensor2d(mb.cobs, [n, this.criticObsSize]) : obs;
      const actions = tf.tensor2d(mb.actions, [n, ad]);
      const oldLogp = tf.tensor1d(mb.logProbs);
      const adv = tf.tensor1d(mb.adv);
      const returns = tf.tensor1d(mb.returns);
      const oldValues = tf.tensor1d(mb.values);
      const { grads } = tf.variableGrads(() => {
        const theta = this.theta;
        const mean = mlpTensor(this.layout, theta, this.actorDef, obs);
        const logStd = paramTensor(this.layout, theta, 'logStd') as tf.Tensor1D;
        const logp = gaussianLogProb(actions, mean, logStd);
        const value = tf.reshape(mlpTensor(this.layout, theta, this.criticDef, cobs as tf.Tensor2D), [n]) as tf.Tensor1D;
        const { pgLoss, vLoss, approxKl, clipFrac } = ppoLossTerms({ logp, oldLogp, adv, value, oldValues, returns, clipCoef: cfg.clipCoef, clipValueLoss: cfg.clipValueLoss });
        const logStdSum = tf.sum(logStd);
        // Entropy of a diagonal Gaussian with state-independent std: the same for every sample.
        const entropy = tf.add(logStdSum, 0.5 * ad * (1 + LOG_2PI));
        const loss = tf.add(tf.sub(pgLoss, tf.mul(entropy, cfg.entCoef)), tf.mul(vLoss, cfg.vfCoef)) as tf.Scalar;
        // For the adaptive schedule: the analytic KL(old || new) of the Gaussians, as rsl_rl.
        let policyKl: tf.Tensor = tf.scalar(0);
        if (cfg.schedule === 'adaptive') {
          const oldMean = tf.tensor2d(mb.means, [n, ad]);
          const varNew = tf.exp(tf.mul(logStd, 2));
          const varOld = tf.exp(tf.mul(oldLogStd, 2));
          const klEach = tf.add(tf.sub(logStd, oldLogStd), tf.sub(tf.div(tf.add(varOld, tf.squaredDifference(oldMean, mean)), tf.mul(varNew, 2)), 0.5));
          policyKl = tf.mean(tf.sum(klEach, 1));
        }
        metrics = tf.keep(tf.stack([pgLoss, vLoss, entropy, approxKl, clipFrac, policyKl]));
        return loss;
      }, [this.theta]);
      const g = clipGradNorm(grads[this.theta.name], cfg.maxGradNorm);
      this.adam.step(this.theta, g);
    });
    const m = metrics as unknown as tf.Tensor;
    const out = m.dataSync() as Float32Array;
    m.dispose();
    return out;
  }

  getState(): PpoState {
    return { theta: this.theta.dataSync() as Float32Array, adam: this.adam.getState(), lr: this.adam.lr };
  }

  setState(s: PpoState): void {
    if (s.theta.length !== this.layout.size) throw new Error(`checkpoint has ${s.theta.length} PPO parameters, this network has ${this.layout.size} (different sizes in the config?)`);
    this.theta.assign(tf.tensor1d(s.theta));
    this.values.set(s.theta);
    this.adam.setState(s.adam);
    this.adam.lr = s.lr;
  }
}

/** log N(a; mean, exp(logStd)) summed over action dims: [B]. */
export function gaussianLogProb(actions: tf.Tensor2D, mean: tf.Tensor2D, logStd: tf.Tensor1D): tf.Tensor1D {
  const ad = actions.shape[1];
  const z = tf.mul(tf.sub(actions, mean), tf.exp(tf.neg(logStd)));
  return tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.add(tf.sum(logStd), 0.5 * ad * LOG_2PI)) as tf.Tensor1D;
}

/**
 * The PPO loss pieces (CleanRL): clipped surrogate  mean(max(-A r, -A clip(r, 1-c, 1+c))),
 * value loss 0.5 mean((V - R)^2) (or the max with the clipped value), and the diagnostics
 * approx KL = mean((r - 1) - log r) and the fraction of clipped ratios.
 */
export function ppoLossTerms(x: {
  logp: tf.Tensor1D; oldLogp: tf.Tensor1D; adv: tf.Tensor1D; value: tf.Tensor1D; oldValues: tf.Tensor1D; returns: tf.Tensor1D; clipCoef: number; clipValueLoss: boolean;
}): { pgLoss: tf.Scalar; vLoss: tf.Scalar; approxKl: tf.Scalar; clipFrac: tf.Scalar } {
  const c = x.clipCoef;
  const logRatio = tf.sub(x.logp, x.oldLogp);
  const ratio = tf.exp(logRatio);
  const pg1 = tf.mul(tf.neg(x.adv), ratio);
  const pg2 = tf.mul(tf.neg(x.adv), tf.clipByValue(ratio, 1 - c, 1 + c));
  const pgLoss = tf.mean(tf.maximum(pg1, pg2)) as tf.Scalar;
  let vLoss: tf.Scalar;
  if (x.clipValueLoss) {
    const clipped = tf.add(x.oldValues, tf.clipByValue(tf.sub(x.value, x.oldValues), -c, c));
    vLoss = tf.mul(tf.mean(tf.maximum(tf.squaredDifference(x.value, x.returns), tf.squaredDifference(clipped, x.returns))), 0.5) as tf.Scalar;
  } else {
    vLoss = tf.mul(tf.mean(tf.squaredDifference(x.value, x.returns)), 0.5) as tf.Scalar;
  }
  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
  const clipFrac = tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c), 'float32')) as tf.Scalar;
  return { pgLoss, vLoss, approxKl, clipFrac };
}

export function shuffle(a: Uint32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

export function normalizeInPlace(x: Float32Array): void {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  // Unbiased std as torch.std, as CleanRL.
  const std = Math.sqrt(v / Math.max(1, x.length - 1));
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - mean) / (std + 1e-8);
}

export function explainedVariance(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  const n = target.length;
  let mt = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mt += target[i];
    md += target[i] - pred[i];
  }
  mt /= n;
  md /= n;
  let vt = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vt += (target[i] - mt) ** 2;
    vd += (target[i] - pred[i] - md) ** 2;
  }
  return vt === 0 ? NaN : 1 - vd / vt;
}
