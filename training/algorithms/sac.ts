// Soft Actor-Critic (Haarnoja et al. 2018) with Stable-Baselines3's choices: tanh-squashed
// Gaussian policy with the log-prob correction and clamped log-std, twin Q critics with
// polyak-averaged targets and the min of the two in the target, automatic entropy
// temperature towards target entropy -|A| (optimized in log space).
//
// Parameters in flat vectors (actor; both critics; target critics) so each update is a few
// large ops. Noise comes from our seeded Rng so a resumed run continues exactly.
import type { Rng } from '../../sim/rng.js';
import { tf } from '../backend.js';
import { FlatAdam, type AdamState } from '../networks/adam.js';
import { MlpInference, initMlp } from '../networks/mlp.js';
import { mlpTensor } from '../networks/mlp-tensor.js';
import { sacNetworks, type SacNetworks } from '../networks/layouts.js';
import type { ReplayBatch } from '../storage/replay-buffer.js';
import type { SacConfig, TrainConfig } from '../config.js';

const LOG_2PI = Math.log(2 * Math.PI);
const LOG_2 = Math.log(2);

export interface SacUpdateStats {
  qLoss: number;
  actorLoss: number;
  alpha: number;
  entropy: number; // -mean log pi
}

export interface SacState {
  actor: Float32Array;
  critic: Float32Array;
  criticTarget: Float32Array;
  actorAdam: AdamState;
  criticAdam: AdamState;
  logAlpha: number;
  alphaAdam: { m: number; v: number; t: number };
}

/**
 * log pi(a|s) of a tanh-squashed Gaussian, per sample: sum_j [N(u_j; mu, sigma) - log(1 - tanh(u_j)^2)],
 * with log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)) (numerically stable form).
 */
export function squashedLogProb(u: tf.Tensor2D, mean: tf.Tensor2D, logStd: tf.Tensor2D): tf.Tensor1D {
  const z = tf.div(tf.sub(u, mean), tf.exp(logStd));
  const gauss = tf.sub(tf.mul(tf.square(z), -0.5), tf.add(logStd, 0.5 * LOG_2PI));
  const logDet = tf.mul(tf.sub(tf.sub(LOG_2, u), tf.softplus(tf.mul(u, -2))), 2);
  return tf.sum(tf.sub(gauss, logDet), 1) as tf.Tensor1D;
}

export class SacAgent {
  readonly nets: SacNetworks;
  readonly actor: tf.Variable<tf.Rank.R1>;
  readonly critic: tf.Variable<tf.Rank.R1>;
  readonly criticTarget: tf.Variable<tf.Rank.R1>;
  readonly actorValues: Float32Array; // CPU copy for acting
  readonly actorAdam: FlatAdam;
  readonly criticAdam: FlatAdam;
  logAlpha: number;
  private readonly alphaAdam = { m: 0, v: 0, t: 0 };
  readonly targetEntropy: number;
  private readonly actorInf: MlpInference;
  readonly cfg: SacConfig;

  constructor(readonly obsSize: number, readonly actSize: number, config: TrainConfig, rng: Rng, maxBatch: number) {
    this.cfg = config.sac;
    this.nets = sacNetworks(config, obsSize, actSize);
    const a = new Float32Array(this.nets.actorLayout.size);
    initMlp(this.nets.actorLayout, a, this.nets.actor, rng, 0.01);
    const c = new Float32Array(this.nets.criticLayout.size);
    initMlp(this.nets.criticLayout, c, this.nets.q1, rng, 1);
    initMlp(this.nets.criticLayout, c, this.nets.q2, rng, 1);
    this.actorValues = a;
    this.actor = tf.variable(tf.tensor1d(a), true);
    this.critic = tf.variable(tf.tensor1d(c), true);
    this.criticTarget = tf.variable(tf.tensor1d(c), false);
    this.actorAdam = new FlatAdam(a.length, this.cfg.lr);
    this.criticAdam = new FlatAdam(c.length, this.cfg.lr);
    this.logAlpha = Math.log(this.cfg.alpha === 'auto' ? this.cfg.initAlpha : this.cfg.alpha);
    this.targetEntropy = -actSize;
    this.actorInf = new MlpInference(this.nets.actorLayout, this.nets.actor, maxBatch);
  }

  get alpha(): number {
    return Math.exp(this.logAlpha);
  }

  /** Actions in [-1, 1] for `n` observations: sampled, or tanh(mean) when deterministic. */
  act(obs: Float32Array, n: number, rng: Rng | null, out: Float32Array): void {
    const A = this.actSize;
    const y = this.actorInf.forward(this.actorValues, obs, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < A; j++) {
        const mean = y[i * 2 * A + j];
        let u = mean;
        if (rng) {
          const ls = Math.min(this.cfg.logStdMax, Math.max(this.cfg.logStdMin, y[i * 2 * A + A + j]));
          u = mean + Math.exp(ls) * rng.normal();
        }
        out[i * A + j] = Math.tanh(u);
      }
  }

  /** Mean and clamped log-std of the policy, plus a reparameterized sample u = mean + std * eps. */
  private policy(theta: tf.Tensor1D, obs: tf.Tensor2D, eps: tf.Tensor2D): { u: tf.Tensor2D; mean: tf.Tensor2D; logStd: tf.Tensor2D } {
    const A = this.actSize;
    const y = mlpTensor(this.nets.actorLayout, theta, this.nets.actor, obs);
    const [mean, rawLogStd] = tf.split(y, [A, A], 1) as [tf.Tensor2D, tf.Tensor2D];
    const logStd = tf.clipByValue(rawLogStd, this.cfg.logStdMin, this.cfg.logStdMax);
    const u = tf.add(mean, tf.mul(tf.exp(logStd), eps)) as tf.Tensor2D;
    return { u, mean, logStd };
  }

  private minQ(theta: tf.Tensor1D, obs: tf.Tensor2D, action: tf.Tensor2D): { q1: tf.Tensor1D; q2: tf.Tensor1D } {
    const x = tf.concat([obs, action], 1) as tf.Tensor2D;
    const n = obs.shape[0];
    const q1 = tf.reshape(mlpTensor(this.nets.criticLayout, theta, this.nets.q1, x), [n]) as tf.Tensor1D;
    const q2 = tf.reshape(mlpTensor(this.nets.criticLayout, theta, this.nets.q2, x), [n]) as tf.Tensor1D;
    return { q1, q2 };
  }

  /** One gradient update of critics, actor and temperature on a sampled batch. */
  update(batch: ReplayBatch, rng: Rng): SacUpdateStats {
    const cfg = this.cfg;
    const n = batch.rewards.length;
    const A = this.actSize;
    const od = this.obsSize;
    const epsNext = new Float32Array(n * A);
    const epsNow = new Float32Array(n * A);
    for (let i = 0; i < epsNext.length; i++) epsNext[i] = rng.normal();
    for (let i = 0; i < epsNow.length; i++) epsNow[i] = rng.normal();
    const alpha = this.alpha; // the temperature before this step's update (as SB3)
    const out = tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [n, od]);
      const nextObs = tf.tensor2d(batch.nextObs, [n, od]);
      const actions = tf.tensor2d(batch.actions, [n, A]);
      const rewards = tf.tensor1d(batch.rewards);
      const notDone = tf.sub(1, tf.tensor1d(batch.terminated)); // truncation still bootstraps
      // ---- Critic target: r + gamma (1 - terminated) (min Q_targ(s', a') - alpha log pi(a'|s')) ----
      const next = this.policy(this.actor, nextObs, tf.tensor2d(epsNext, [n, A]));
      const nextLogp = squashedLogProb(next.u, next.mean, next.logStd);
      const qt = this.minQ(this.criticTarget, nextObs, tf.tanh(next.u) as tf.Tensor2D);
      const target = tf.add(rewards, tf.mul(tf.mul(notDone, cfg.gamma), tf.sub(tf.minimum(qt.q1, qt.q2), tf.mul(nextLogp, alpha))));
      // ---- Critic step: 0.5 * (MSE(Q1, y) + MSE(Q2, y)) ----
      const criticGrads = tf.variableGrads(() => {
        const { q1, q2 } = this.minQ(this.critic, obs, actions);
        return tf.mul(tf.add(tf.mean(tf.squaredDifference(q1, target)), tf.mean(tf.squaredDifference(q2, target))), 0.5) as tf.Scalar;
      }, [this.critic]);
      this.criticAdam.step(this.critic, criticGrads.grads[this.critic.name]);
      // ---- Actor step: mean(alpha log pi(a|s) - min Q(s, a)), a reparameterized; critic fixed ----
      let meanLogp: tf.Tensor = tf.scalar(0);
      const actorGrads = tf.variableGrads(() => {
        const p = this.policy(this.actor, obs, tf.tensor2d(epsNow, [n, A]));
        const logp = squashedLogProb(p.u, p.mean, p.logStd);
        meanLogp = tf.keep(tf.mean(logp));
        const { q1, q2 } = this.minQ(this.critic, obs, tf.tanh(p.u) as tf.Tensor2D);
        return tf.mean(tf.sub(tf.mul(logp, alpha), tf.minimum(q1, q2))) as tf.Scalar;
      }, [this.actor]);
      this.actorAdam.step(this.actor, actorGrads.grads[this.actor.name]);
      // ---- Polyak average of the target critics ----
      this.criticTarget.assign(tf.add(tf.mul(this.criticTarget, 1 - cfg.tau), tf.mul(this.critic, cfg.tau)));
      const stats = tf.stack([criticGrads.value, actorGrads.value, meanLogp]);
      meanLogp.dispose();
      return stats;
    });
    const [qLoss, actorLoss, meanLogp] = out.dataSync();
    out.dispose();
    // ---- Temperature: minimize -log_alpha * (log pi + target entropy); d/dlog_alpha = -(mean log pi + target) ----
    if (cfg.alpha === 'auto') this.logAlpha = adamScalarStep(this.alphaAdam, this.logAlpha, -(meanLogp + this.targetEntropy), cfg.lr);
    this.actorValues.set(this.actor.dataSync());
    return { qLoss, actorLoss, alpha: this.alpha, entropy: -meanLogp };
  }

  getState(): SacState {
    return {
      actor: this.actor.dataSync() as Float32Array,
      critic: this.critic.dataSync() as Float32Array,
      criticTarget: this.criticTarget.dataSync() as Float32Array,
      actorAdam: this.actorAdam.getState(),
      criticAdam: this.criticAdam.getState(),
      logAlpha: this.logAlpha,
      alphaAdam: { ...this.alphaAdam },
    };
  }

  setState(s: SacState): void {
    if (s.actor.length !== this.actorValues.length || s.critic.length !== this.nets.criticLayout.size) {
      throw new Error('checkpoint SAC network sizes differ from this config');
    }
    this.actor.assign(tf.tensor1d(s.actor));
    this.actorValues.set(s.actor);
    this.critic.assign(tf.tensor1d(s.critic));
    this.criticTarget.assign(tf.tensor1d(s.criticTarget));
    this.actorAdam.setState(s.actorAdam);
    this.criticAdam.setState(s.criticAdam);
    this.logAlpha = s.logAlpha;
    Object.assign(this.alphaAdam, s.alphaAdam);
  }
}

function adamScalarStep(st: { m: number; v: number; t: number }, param: number, grad: number, lr: number): number {
  st.t++;
  st.m = 0.9 * st.m + 0.1 * grad;
  st.v = 0.999 * st.v + 0.001 * grad * grad;
  const mh = st.m / (1 - 0.9 ** st.t);
  const vh = st.v / (1 - 0.999 ** st.t);
  return param - (lr * mh) / (Math.sqrt(vh) + 1e-8);
}
