// TD3 (Fujimoto et al. 2018) and, as its special case, DDPG (Lillicrap et al. 2016): a
// deterministic tanh actor, Q critics with polyak-averaged target networks, and for TD3
// the three fixes: twin critics with the min in the target, target policy smoothing
// (clipped Gaussian noise on the target action) and delayed actor/target updates.
// DDPG = one critic, no smoothing, delay 1 (ddpg.ts).
//
// The Bellman targets are computed in plain JS on CPU copies of the target networks (the
// small pure functions below are what the unit tests check); only the two gradient steps
// run on tfjs, over flat parameter vectors as in sac.ts.
import type { Rng } from '../../sim/rng.js';
import { tf } from '../backend.js';
import { FlatAdam, type AdamState } from '../networks/adam.js';
import { MlpInference, initMlp } from '../networks/mlp.js';
import { mlpTensor } from '../networks/mlp-tensor.js';
import { deterministicNetworks, type DeterministicNetworks } from '../networks/deterministic-layouts.js';
import { ParamEma, type EmaState } from '../networks/ema.js';
import type { ReplayBatch } from '../storage/replay-buffer.js';
import type { TrainConfig } from '../config.js';

export interface DeterministicAgentOptions {
  numCritics: 1 | 2;
  /** Std of the target policy smoothing noise (0: none, as DDPG). */
  policyNoise: number;
  noiseClip: number;
  /** Actor and targets updated every `policyDelay` critic updates (1: every update). */
  policyDelay: number;
  actorLr: number;
  criticLr: number;
  gamma: number;
  tau: number;
  emaDecay: number | null;
}

/** Target policy smoothing: a' = clip(mu'(s') + clip(sigma * eps, -c, c), -1, 1), in place on `mu`. */
export function smoothTargetActions(mu: Float32Array, eps: ArrayLike<number>, sigma: number, noiseClip: number): Float32Array {
  for (let i = 0; i < mu.length; i++) {
    const noise = Math.min(noiseClip, Math.max(-noiseClip, sigma * eps[i]));
    mu[i] = Math.min(1, Math.max(-1, mu[i] + noise));
  }
  return mu;
}

/** Delayed policy updates: the actor (and the targets) step on critic updates delay, 2*delay, ... (1-based count). */
export function isActorUpdate(criticUpdates: number, policyDelay: number): boolean {
  return criticUpdates % policyDelay === 0;
}

/** Polyak averaging of target parameters: target <- (1 - tau) target + tau source. */
export function polyakUpdate(target: Float32Array, source: ArrayLike<number>, tau: number): void {
  for (let i = 0; i < target.length; i++) target[i] = (1 - tau) * target[i] + tau * source[i];
}

/** Bellman targets y = r + gamma (1 - terminated) min_k Q'_k(s', a'); truncated steps bootstrap. */
export function criticTargets(rewards: ArrayLike<number>, terminated: ArrayLike<number>, nextQ: ArrayLike<number>[], gamma: number, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) {
    let q = nextQ[0][i];
    for (let k = 1; k < nextQ.length; k++) q = Math.min(q, nextQ[k][i]);
    out[i] = rewards[i] + (terminated[i] ? 0 : gamma * q);
  }
  return out;
}

export interface DeterministicState {
  actor: Float32Array;
  actorTarget: Float32Array;
  critic: Float32Array;
  criticTarget: Float32Array;
  actorAdam: AdamState;
  criticAdam: AdamState;
  criticUpdates: number;
  ema: EmaState | null;
}

export interface DeterministicUpdateStats {
  qLoss: number;
  /** NaN on updates without an actor step. */
  actorLoss: number;
  actorUpdated: boolean;
}

export class DeterministicAgent {
  readonly nets: DeterministicNetworks;
  readonly actor: tf.Variable<tf.Rank.R1>;
  readonly critic: tf.Variable<tf.Rank.R1>;
  /** CPU copies: the acting actor, the target actor and the target critics. */
  readonly actorValues: Float32Array;
  readonly actorTarget: Float32Array;
  readonly criticTarget: Float32Array;
  readonly actorAdam: FlatAdam;
  readonly criticAdam: FlatAdam;
  readonly ema: ParamEma | null;
  criticUpdates = 0;
  private readonly actInf: MlpInference;
  private readonly targetActorInf: MlpInference;
  private readonly targetCriticInf: MlpInference[];
  private targetsBuf: Float32Array = new Float32Array(0);
  private criticIn: Float32Array = new Float32Array(0);

  constructor(readonly obsSize: number, readonly actSize: number, config: TrainConfig, readonly opts: DeterministicAgentOptions, rng: Rng, maxBatch: number) {
    this.nets = deterministicNetworks(config, obsSize, actSize, opts.numCritics);
    const a = new Float32Array(this.nets.actorLayout.size);
    initMlp(this.nets.actorLayout, a, this.nets.actor, rng, 0.01); // near-zero initial actions
    const c = new Float32Array(this.nets.criticLayout.size);
    for (const q of this.nets.critics) initMlp(this.nets.criticLayout, c, q, rng, 1);
    this.actorValues = a;
    this.actorTarget = a.slice();
    this.criticTarget = c.slice();
    this.actor = tf.variable(tf.tensor1d(a), true);
    this.critic = tf.variable(tf.tensor1d(c), true);
    this.actorAdam = new FlatAdam(a.length, opts.actorLr);
    this.criticAdam = new FlatAdam(c.length, opts.criticLr);
    this.ema = opts.emaDecay === null ? null : new ParamEma(opts.emaDecay, a);
    this.actInf = new MlpInference(this.nets.actorLayout, this.nets.actor, maxBatch);
    this.targetActorInf = new MlpInference(this.nets.actorLayout, this.nets.actor, maxBatch);
    this.targetCriticInf = this.nets.critics.map((q) => new MlpInference(this.nets.criticLayout, q, maxBatch));
  }

  /** Deterministic actions tanh(mu(s)) in [-1, 1] for `n` (normalized) observations. */
  act(obs: Float32Array, n: number, out: Float32Array, params: Float32Array = this.actorValues): Float32Array {
    const y = this.actInf.forward(params, obs, n);
    for (let i = 0; i < n * this.actSize; i++) out[i] = Math.tanh(y[i]);
    return out;
  }

  /** One critic update, plus (every policyDelay updates) an actor update and the polyak step of both targets. */
  update(batch: ReplayBatch, rng: Rng): DeterministicUpdateStats {
    const o = this.opts;
    const n = batch.rewards.length;
    const A = this.actSize;
    const od = this.obsSize;
    // ---- Bellman targets on the target networks (plain JS) ----
    const mu = this.targetActorInf.forward(this.actorTarget, batch.nextObs, n);
    for (let i = 0; i < n * A; i++) mu[i] = Math.tanh(mu[i]);
    if (o.policyNoise > 0) {
      const eps = new Float32Array(n * A);
      for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
      smoothTargetActions(mu, eps, o.policyNoise, o.noiseClip);
    }
    const cd = od + A;
    if (this.criticIn.length !== n * cd) this.criticIn = new Float32Array(n * cd);
    for (let i = 0; i < n; i++) {
      this.criticIn.set(batch.nextObs.subarray(i * od, (i + 1) * od), i * cd);
      this.criticIn.set(mu.subarray(i * A, (i + 1) * A), i * cd + od);
    }
    const nextQ = this.targetCriticInf.map((inf) => inf.forward(this.criticTarget, this.criticIn, n));
    if (this.targetsBuf.length !== n) this.targetsBuf = new Float32Array(n);
    const targets = criticTargets(batch.rewards, batch.terminated, nextQ, o.gamma, this.targetsBuf);

    this.criticUpdates++;
    const actorStep = isActorUpdate(this.criticUpdates, o.policyDelay);
    const nets = this.nets;
    const losses = tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [n, od]);
      const x = tf.concat([obs, tf.tensor2d(batch.actions, [n, A])], 1) as tf.Tensor2D;
      const y = tf.tensor1d(targets);
      // ---- Critic step: sum_k MSE(Q_k(s, a), y) ----
      const cg = tf.variableGrads(() => {
        let loss: tf.Tensor = tf.scalar(0);
        for (const q of nets.critics) loss = tf.add(loss, tf.mean(tf.squaredDifference(tf.reshape(mlpTensor(nets.criticLayout, this.critic, q, x), [n]), y)));
        return loss as tf.Scalar;
      }, [this.critic]);
      this.criticAdam.step(this.critic, cg.grads[this.critic.name]);
      if (!actorStep) return tf.stack([cg.value, tf.scalar(NaN)]);
      // ---- Actor step: maximize Q_1(s, tanh(mu(s))) with the freshly updated critic ----
      const ag = tf.variableGrads(() => {
        const a = tf.tanh(mlpTensor(nets.actorLayout, this.actor, nets.actor, obs));
        const q = mlpTensor(nets.criticLayout, this.critic, nets.critics[0], tf.concat([obs, a], 1) as tf.Tensor2D);
        return tf.neg(tf.mean(q)) as tf.Scalar;
      }, [this.actor]);
      this.actorAdam.step(this.actor, ag.grads[this.actor.name]);
      return tf.stack([cg.value, ag.value]);
    });
    const [qLoss, actorLoss] = losses.dataSync();
    losses.dispose();
    if (actorStep) {
      this.actorValues.set(this.actor.dataSync());
      polyakUpdate(this.actorTarget, this.actorValues, o.tau);
      polyakUpdate(this.criticTarget, this.critic.dataSync(), o.tau);
      this.ema?.update(this.actorValues);
    }
    return { qLoss, actorLoss, actorUpdated: actorStep };
  }

  /** The weights to export: the EMA when enabled (and asked for), else the raw actor. */
  exportActor(useEma: boolean): Float32Array {
    return useEma && this.ema ? this.ema.values : this.actorValues;
  }

  getState(): DeterministicState {
    return {
      actor: this.actor.dataSync() as Float32Array,
      actorTarget: this.actorTarget.slice(),
      critic: this.critic.dataSync() as Float32Array,
      criticTarget: this.criticTarget.slice(),
      actorAdam: this.actorAdam.getState(),
      criticAdam: this.criticAdam.getState(),
      criticUpdates: this.criticUpdates,
      ema: this.ema?.getState() ?? null,
    };
  }

  setState(s: DeterministicState): void {
    if (s.actor.length !== this.actorValues.length || s.critic.length !== this.nets.criticLayout.size) throw new Error('checkpoint actor/critic sizes differ from this config (network sizes changed?)');
    this.actor.assign(tf.tensor1d(s.actor));
    this.actorValues.set(s.actor);
    this.actorTarget.set(s.actorTarget);
    this.critic.assign(tf.tensor1d(s.critic));
    this.criticTarget.set(s.criticTarget);
    this.actorAdam.setState(s.actorAdam);
    this.criticAdam.setState(s.criticAdam);
    this.criticUpdates = s.criticUpdates;
    if (this.ema && s.ema) this.ema.setState(s.ema);
  }
}

/** TD3's options from the config. */
export function td3Options(config: TrainConfig): DeterministicAgentOptions {
  const c = config.td3;
  return {
    numCritics: 2, policyNoise: c.policyNoise, noiseClip: c.noiseClip, policyDelay: c.policyDelay,
    actorLr: c.actorLr, criticLr: c.criticLr, gamma: c.gamma, tau: c.tau, emaDecay: c.ema.decay,
  };
}
