// Proximal Policy Optimization (Schulman et al. 2017), following CleanRL's ppo_continuous_action
// with the extras of rsl_rl: one fused update of actor and critic per minibatch, clipped
// surrogate, optional value clipping, entropy bonus, per-minibatch advantage normalization,
// global gradient-norm clipping, linear or adaptive-KL learning rate, target-KL early stop.
//
// Networks: separate actor (Gaussian mean, state-independent log-std) and critic MLPs, all
// parameters in one flat Float32Array (see flat-params.ts). Rollouts act with it in plain JS
// (ppo-policy.ts). An update runs the MLPs' matmuls on tfjs (mlp-kernels.ts) and the loss, its
// gradient with respect to the network outputs, gradient clipping and Adam in plain JS: the
// loss is per-sample arithmetic on a few numbers, where tfjs would spend a kernel per op.
import type { Rng } from '../../sim/rng.js';
import { tf } from '../backend.js';
import { JsAdam, clipGradNormInPlace, type AdamState } from '../networks/adam.js';
import type { ParamLayout } from '../networks/flat-params.js';
import { initMlp, type MlpDef } from '../networks/mlp.js';
import { MlpKernels } from '../networks/mlp-kernels.js';
import { assembleTrunkInput, initEncoder, type ExtraInputShape } from '../networks/encoders.js';
import { EncoderKernels } from '../networks/encoder-kernels.js';
import { PpoPolicy, type ExtraBatches, type PpoActOutput } from './ppo-policy.js';
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
  /** Mean squared distance of the actor's mean from the teacher's action (NaN without imitation). */
  imitationLoss: number;
}

export interface PpoState {
  theta: Float32Array;
  adam: AdamState;
  lr: number;
}

/** One minibatch, row-major, as gathered from the rollout. */
export interface PpoMinibatch {
  obs: Float32Array;
  cobs: Float32Array;
  actions: Float32Array;
  means: Float32Array;
  logProbs: Float32Array;
  adv: Float32Array;
  returns: Float32Array;
  values: Float32Array;
  /** Raw extra observations by name, [n x size]. */
  extras: Record<string, Float32Array>;
  /** The teacher's actions (ppo.imitation), [n x actSize]; null when the update imitates nothing. */
  teacher: Float32Array | null;
}

export class PpoAgent {
  readonly layout: ParamLayout;
  readonly actorDef: MlpDef;
  readonly criticDef: MlpDef;
  /** The plain-JS networks for rollouts and evaluation; they read `values`, which the update changes in place. */
  readonly policy: PpoPolicy;
  /** The flat parameters (actor, critic, logStd). */
  readonly values: Float32Array;
  readonly adam: JsAdam;
  readonly cfg: PpoConfig;
  private readonly grad: Float32Array;
  private readonly actorKernels: MlpKernels;
  private readonly criticKernels: MlpKernels;
  private readonly encoderKernels: EncoderKernels[];
  private readonly logStdOffset: number;
  /**
   * The imitation loss weight x mean_i |mu(s_i) - teacher_i|^2 (ppo.imitation; the runner sets
   * both each iteration). While `imitating`, it replaces the policy-gradient, entropy and
   * smoothness terms of the actor at a fixed learning rate (the critic learns as always);
   * otherwise a weight > 0 adds it to PPO's loss.
   */
  imitationWeight = 0;
  imitating = false;

  constructor(readonly obsSize: number, readonly criticObsSize: number, readonly actSize: number, config: TrainConfig, rng: Rng, maxBatch: number, extras: readonly ExtraInputShape[] = []) {
    this.cfg = config.ppo;
    this.policy = new PpoPolicy(config, obsSize, criticObsSize, actSize, maxBatch, extras);
    this.layout = this.policy.layout;
    this.actorDef = this.policy.actorDef;
    this.criticDef = this.policy.criticDef;
    this.values = this.policy.values;
    initMlp(this.layout, this.values, this.actorDef, rng, 0.01); // small policy head: near-zero initial mean
    initMlp(this.layout, this.values, this.criticDef, rng, 1);
    for (const e of this.policy.encoders) initEncoder(this.layout, this.values, e, rng);
    this.encoderKernels = this.policy.encoders.map((e) => new EncoderKernels(this.layout, e));
    this.layout.view(this.values, 'logStd').fill(this.cfg.initLogStd);
    this.adam = new JsAdam(this.layout.size, this.cfg.lr, 0.9, 0.999, 1e-5); // eps 1e-5 as CleanRL
    this.grad = new Float32Array(this.layout.size);
    this.actorKernels = new MlpKernels(this.layout, this.actorDef);
    this.criticKernels = new MlpKernels(this.layout, this.criticDef);
    this.logStdOffset = this.layout.get('logStd').offset;
  }

  get logStd(): Float32Array {
    return this.policy.logStd;
  }

  /** Sample actions for `n` envs; writes actions (unclipped), log-probs, means and values. */
  act(obs: Float32Array, criticObs: Float32Array, n: number, rng: Rng, out: PpoActOutput, extras?: ExtraBatches): void {
    this.policy.act(obs, criticObs, n, rng, out, extras);
  }

  value(criticObs: Float32Array, n: number, out: Float32Array): void {
    this.policy.value(criticObs, n, out);
  }

  /** Deterministic action (the mean) for evaluation. */
  meanAction(obs: Float32Array, n: number, extras?: ExtraBatches): Float32Array {
    return this.policy.meanAction(obs, n, extras);
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
    const mb: PpoMinibatch = {
      obs: new Float32Array(mbSize * od),
      cobs: new Float32Array(mbSize * cd),
      actions: new Float32Array(mbSize * ad),
      means: new Float32Array(mbSize * ad),
      logProbs: new Float32Array(mbSize),
      adv: new Float32Array(mbSize),
      returns: new Float32Array(mbSize),
      values: new Float32Array(mbSize),
      extras: Object.fromEntries(Object.entries(storage.extras).map(([name, rows]) => [name, new Float32Array((mbSize * rows.length) / total)])),
      teacher: this.imitationWeight > 0 && storage.teacherActions ? new Float32Array(mbSize * ad) : null,
    };
    const extraRows = Object.entries(storage.extras).map(([name, rows]) => ({ rows, mb: mb.extras[name], size: rows.length / total }));
    const oldLogStd = this.logStd.slice();
    const next: NextObs | null = cfg.temporalSmoothness > 0
      ? { obs: new Float32Array(mbSize * od), valid: new Float32Array(mbSize), extras: Object.fromEntries(Object.keys(mb.extras).map((name) => [name, new Float32Array(mb.extras[name].length)])) }
      : null;
    const sums = { pg: 0, v: 0, ent: 0, kl: 0, clip: 0, imitation: 0, n: 0 };
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
          if (mb.teacher) mb.teacher.set(storage.teacherActions!.subarray(i * ad, i * ad + ad), k * ad);
          for (const e of extraRows) e.mb.set(e.rows.subarray(i * e.size, (i + 1) * e.size), k * e.size);
        }
        if (cfg.normAdvantages) normalizeInPlace(mb.adv);
        if (next) gatherNextObs(storage, order, b * mbSize, mbSize, next);
        const s = this.step(mb, mbSize, storage.asymmetric, oldLogStd, next);
        sums.pg += s.pgLoss;
        sums.v += s.vLoss;
        sums.ent += s.entropy;
        sums.kl += s.approxKl;
        sums.clip += s.clipFrac;
        sums.imitation += s.imitationLoss;
        sums.n++;
        epochKl += s.approxKl;
        if (cfg.schedule === 'adaptive' && !(mb.teacher && this.imitating)) {
          // rsl_rl: move the learning rate to keep the policy KL near desiredKl.
          const kl = s.policyKl;
          if (kl > cfg.desiredKl * 2) this.adam.lr = Math.max(1e-5, this.adam.lr / 1.5);
          else if (kl < cfg.desiredKl / 2 && kl > 0) this.adam.lr = Math.min(1e-2, this.adam.lr * 1.5);
        }
      }
      epochsRun++;
      lastKl = epochKl / numMb;
      if (cfg.targetKl !== null && lastKl > cfg.targetKl) break;
    }
    return {
      policyLoss: sums.pg / sums.n,
      valueLoss: sums.v / sums.n,
      entropy: sums.ent / sums.n,
      approxKl: lastKl,
      clipFrac: sums.clip / sums.n,
      explainedVar: explainedVariance(storage.values, storage.returns),
      lr: this.adam.lr,
      epochsRun,
      imitationLoss: mb.teacher ? sums.imitation / sums.n : NaN,
    };
  }

  /** One gradient step of actor and critic on a minibatch of `n` rows. */
  private step(mb: PpoMinibatch, n: number, asymmetric: boolean, oldLogStd: Float32Array, next: NextObs | null): PpoLoss & { imitationLoss: number } {
    const obs = tf.tensor2d(mb.obs, [n, this.obsSize]);
    const cobs = asymmetric ? tf.tensor2d(mb.cobs, [n, this.criticObsSize]) : obs;
    const actorIn = this.encoderKernels.length ? tf.tensor2d(this.actorInput(mb.obs, mb.extras, n), [n, this.actorDef.sizes[0]]) : obs;
    const actorPass = this.actorKernels.forward(this.values, actorIn);
    const criticPass = this.criticKernels.forward(this.values, cobs);
    const loss = ppoLoss(mb, n, actorPass.out, this.logStd, criticPass.out, oldLogStd, this.cfg);
    const grad = this.grad.fill(0);
    let imitationLoss = NaN;
    if (mb.teacher && this.imitating) {
      // Imitation: the actor's mean follows the teacher only; log std stays where it is.
      loss.dMean.fill(0);
      loss.dLogStd.fill(0);
    } else if (next) this.addTemporalSmoothness(next, this.cfg.temporalSmoothness, n, actorPass.out, loss.dMean, grad);
    if (mb.teacher) imitationLoss = addImitation(mb.teacher, this.imitationWeight, n, actorPass.out, loss.dMean);
    const dActorIn = this.actorKernels.backward(actorPass, loss.dMean, grad, this.encoderKernels.length > 0);
    if (dActorIn) this.encoderBackward(mb.extras, n, dActorIn, grad);
    this.criticKernels.backward(criticPass, loss.dValue, grad);
    grad.set(loss.dLogStd, this.logStdOffset);
    obs.dispose();
    if (asymmetric) cobs.dispose();
    if (actorIn !== obs) actorIn.dispose();
    clipGradNormInPlace(grad, this.cfg.maxGradNorm);
    this.adam.step(this.values, grad);
    return { ...loss, imitationLoss };
  }

  /** [obs, features of each encoder] per row, the encoders run on tfjs (the same graph the gradient goes through). */
  private actorInput(obs: Float32Array, extras: Record<string, Float32Array>, n: number): Float32Array {
    const width = this.actorDef.sizes[0];
    const features = this.encoderKernels.map((k) => k.forward(this.values, extras[k.def.input], n));
    return assembleTrunkInput(new Float32Array(n * width), width, [obs.subarray(0, n * this.obsSize), ...features], n);
  }

  /** dLoss/dparameters of the encoders from dLoss/d(actor input), column block by block. */
  private encoderBackward(extras: Record<string, Float32Array>, n: number, dActorIn: Float32Array, grad: Float32Array): void {
    const width = this.actorDef.sizes[0];
    let col = this.obsSize;
    for (const k of this.encoderKernels) {
      const fw = k.def.head.sizes[k.def.head.sizes.length - 1];
      const dF = new Float32Array(n * fw);
      for (let i = 0; i < n; i++) dF.set(dActorIn.subarray(i * width + col, i * width + col + fw), i * fw);
      k.backward(this.values, extras[k.def.input], n, dF, grad);
      col += fw;
    }
  }

  /**
   * CAPS temporal smoothness: loss += weight x mean_i valid_i |mu(s_i) - mu(s_i+1)|^2. Adds its
   * gradient for mu(s) into dMean and back-propagates the next-step pass (through the perception
   * encoders too, fed the next step's inputs) into grad itself.
   */
  private addTemporalSmoothness(next: NextObs, weight: number, n: number, mean: Float32Array, dMean: Float32Array, grad: Float32Array): void {
    const valid = next.valid;
    const encoded = this.encoderKernels.length > 0;
    const x = encoded
      ? tf.tensor2d(this.actorInput(next.obs, next.extras, n), [n, this.actorDef.sizes[0]])
      : tf.tensor2d(next.obs, [n, this.obsSize]);
    const pass = this.actorKernels.forward(this.values, x);
    const dPaired = new Float32Array(pass.out.length);
    const A = this.actSize;
    const k = (2 * weight) / n;
    for (let i = 0; i < dPaired.length; i++) {
      const d = k * valid[Math.floor(i / A)] * (mean[i] - pass.out[i]);
      dMean[i] += d;
      dPaired[i] = -d;
    }
    const dNextIn = this.actorKernels.backward(pass, dPaired, grad, encoded);
    if (dNextIn) this.encoderBackward(next.extras, n, dNextIn, grad);
    x.dispose();
  }

  getState(): PpoState {
    return { theta: this.values.slice(), adam: this.adam.getState(), lr: this.adam.lr };
  }

  setState(s: PpoState): void {
    if (s.theta.length !== this.layout.size) throw new Error(`checkpoint has ${s.theta.length} PPO parameters, this network has ${this.layout.size} (different sizes in the config?)`);
    this.values.set(s.theta);
    this.adam.setState(s.adam);
    this.adam.lr = s.lr;
  }
}

/**
 * The imitation loss (ppo.imitation): weight x mean_i |mu(s_i) - teacher_i|^2. Adds its gradient
 * into dMean; returns the unweighted mean squared distance.
 */
function addImitation(teacher: Float32Array, weight: number, n: number, mean: Float32Array, dMean: Float32Array): number {
  const k = (2 * weight) / n;
  let sq = 0;
  for (let i = 0; i < teacher.length; i++) {
    const d = mean[i] - teacher[i];
    sq += d * d;
    dMean[i] += k * d;
  }
  return sq / n;
}

/** The PPO loss on a minibatch, its diagnostics, and its gradient with respect to the network outputs. */
export interface PpoLoss {
  pgLoss: number;
  vLoss: number;
  entropy: number;
  approxKl: number;
  clipFrac: number;
  /** Analytic KL(behaviour || new) of the Gaussians (rsl_rl's adaptive schedule); 0 otherwise. */
  policyKl: number;
  dMean: Float32Array; // [n x A]
  dLogStd: Float32Array; // [A]
  dValue: Float32Array; // [n]
}

/**
 * loss = pgLoss - entCoef * entropy + vfCoef * vLoss, as CleanRL: clipped surrogate
 * mean(max(-A r, -A clip(r, 1-c, 1+c))) with r = exp(logp - behaviour logp), value loss
 * 0.5 mean((V - R)^2) (or the max with the value clipped around the rollout's), entropy of the
 * state-independent diagonal Gaussian; diagnostics approx KL = mean((r - 1) - log r) and the
 * fraction of clipped ratios. Sub-gradients follow tfjs: max passes to its first argument on
 * ties, clip passes inside the closed interval.
 */
export function ppoLoss(
  mb: Pick<PpoMinibatch, 'actions' | 'means' | 'logProbs' | 'adv' | 'returns' | 'values'>,
  n: number, mean: Float32Array, logStd: Float32Array, value: Float32Array, oldLogStd: Float32Array,
  cfg: Pick<PpoConfig, 'clipCoef' | 'clipValueLoss' | 'entCoef' | 'vfCoef' | 'schedule'>,
): PpoLoss {
  const A = logStd.length;
  const c = cfg.clipCoef;
  const dMean = new Float32Array(n * A);
  const dLogStd = new Float64Array(A);
  const dValue = new Float32Array(n);
  const invStd = Float64Array.from(logStd, (l) => Math.exp(-l));
  let logStdSum = 0;
  for (let j = 0; j < A; j++) logStdSum += logStd[j];
  let pgSum = 0;
  let vSum = 0;
  let klSum = 0;
  let clipped = 0;
  let policyKl = 0;
  for (let i = 0; i < n; i++) {
    // Gaussian log-prob of the behaviour action under the new policy.
    let sq = 0;
    for (let j = 0; j < A; j++) {
      const z = (mb.actions[i * A + j] - mean[i * A + j]) * invStd[j];
      sq += z * z;
    }
    const logp = -0.5 * sq - logStdSum - 0.5 * A * LOG_2PI;
    const logRatio = logp - mb.logProbs[i];
    const ratio = Math.exp(logRatio);
    const adv = mb.adv[i];
    const ratioClipped = Math.min(1 + c, Math.max(1 - c, ratio));
    const pg1 = -adv * ratio;
    const pg2 = -adv * ratioClipped;
    pgSum += Math.max(pg1, pg2);
    const dRatio = pg1 >= pg2 ? -adv / n : ratio >= 1 - c && ratio <= 1 + c ? -adv / n : 0;
    const dLogp = dRatio * ratio;
    for (let j = 0; j < A; j++) {
      const z = (mb.actions[i * A + j] - mean[i * A + j]) * invStd[j];
      dMean[i * A + j] = dLogp * z * invStd[j];
      dLogStd[j] += dLogp * (z * z - 1);
    }
    klSum += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > c) clipped++;
    // Value loss.
    const v = value[i];
    const ret = mb.returns[i];
    const e1 = v - ret;
    let dv = e1 / n;
    let vTerm = e1 * e1;
    if (cfg.clipValueLoss) {
      const old = mb.values[i];
      const delta = v - old;
      const vClipped = old + Math.min(c, Math.max(-c, delta));
      const e2 = vClipped - ret;
      if (e1 * e1 < e2 * e2) {
        vTerm = e2 * e2;
        dv = delta >= -c && delta <= c ? e2 / n : 0;
      }
    }
    vSum += vTerm;
    dValue[i] = cfg.vfCoef * dv;
    if (cfg.schedule === 'adaptive') {
      for (let j = 0; j < A; j++) {
        const varNew = Math.exp(2 * logStd[j]);
        const varOld = Math.exp(2 * oldLogStd[j]);
        const dm = mb.means[i * A + j] - mean[i * A + j];
        policyKl += logStd[j] - oldLogStd[j] + (varOld + dm * dm) / (2 * varNew) - 0.5;
      }
    }
  }
  const entropy = logStdSum + 0.5 * A * (1 + LOG_2PI);
  for (let j = 0; j < A; j++) dLogStd[j] -= cfg.entCoef;
  return {
    pgLoss: pgSum / n, vLoss: (0.5 * vSum) / n, entropy, approxKl: klSum / n, clipFrac: clipped / n, policyKl: policyKl / n,
    dMean, dLogStd: Float32Array.from(dLogStd), dValue,
  };
}

/** The next step's observations of a minibatch's rows (same env, same episode), valid = 1 where there is one. */
interface NextObs {
  obs: Float32Array;
  valid: Float32Array;
  /** The next step's perception inputs, by name, as the minibatch's. */
  extras: Record<string, Float32Array>;
}

/** Rows are [t * numEnvs + env]: the next step of row i is i + numEnvs unless the episode ended at i. */
function gatherNextObs(storage: RolloutStorage, order: Uint32Array, start: number, n: number, out: NextObs): void {
  const od = storage.obsSize;
  const extras = Object.entries(storage.extras).map(([name, rows]) => ({ rows, out: out.extras[name], size: rows.length / storage.size }));
  for (let k = 0; k < n; k++) {
    const i = order[start + k];
    const j = i + storage.numEnvs;
    const ok = j < storage.size && !storage.dones[i];
    out.valid[k] = ok ? 1 : 0;
    const row = ok ? j : i;
    out.obs.set(storage.obs.subarray(row * od, row * od + od), k * od);
    for (const e of extras) e.out.set(e.rows.subarray(row * e.size, (row + 1) * e.size), k * e.size);
  }
}

function shuffle(a: Uint32Array, rng: Rng): void {
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
