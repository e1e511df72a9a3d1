// The actor side of the Redis transport. Joining reads the run key the learner wrote and refuses
// a run whose code or config version differs. Trajectories go onto the stream with XADD MAXLEN ~
// (the oldest entries go first when the learner falls behind); a heartbeat key with a TTL says
// the actor is alive; weights are fetched when the pub/sub channel announces a newer version, with
// a periodic check as a fallback for a notification missed during a reconnect.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { connectRedis, redactUrl, type RedisEndpoint } from './redis-connection.js';
import { decodeWeights, encodeTrajectory } from './redis-codec.js';
import { checkRunIdentity, currentPackageVersion, DEFAULT_RUN_PREFIX, runKeys, shortHash, canonicalJson, type RunKeys, type RunRecord } from './redis-run.js';
import type { ActorTransport, PolicyWeights, Trajectory } from './transport.js';

export interface RedisActorOptions extends RedisEndpoint {
  /**
   * Observation/action layout this actor's code feeds (must match the learner's), or a function
   * of the run's config that gives it (an actor that builds its envs from the run's config).
   */
  layout: string | ((runConfig: unknown) => Promise<string>);
  /** A config this actor was started with, if any: it must match the run's. */
  config?: unknown;
  prefix?: string;
  /** Stable id of this actor (default host-pid-random). */
  actorId?: string;
  /** Heartbeat key time-to-live (ms); the actor refreshes it every third of that. */
  heartbeatTtlMs?: number;
  /** How long to wait for a learner to write the run key (ms). */
  joinTimeoutMs?: number;
  /** Check the weights version at least this often even without a notification (ms). */
  weightsPollMs?: number;
}

export class RedisActorTransport implements ActorTransport {
  readonly actorId: string;
  private seq = 0;
  private notifiedVersion = -1;
  private lastPollAt = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly cmd: Redis,
    private readonly subscriber: Redis,
    private readonly keys: RunKeys,
    /** The run as the learner described it when this actor joined. */
    readonly run: RunRecord & { maxStreamLength: number },
    private readonly opts: RedisActorOptions,
  ) {
    this.actorId = opts.actorId ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Join the run in Redis: waits (bounded) for the learner's run key, then checks versions. */
  static async join(opts: RedisActorOptions): Promise<RedisActorTransport> {
    const keys = runKeys(opts.prefix ?? DEFAULT_RUN_PREFIX);
    const cmd = await connectRedis(opts);
    try {
      const run = await waitForRun(cmd, keys, opts.joinTimeoutMs ?? 30_000, opts.url);
      // The code version first: a config of another version may not even be readable by this code.
      if (run.packageVersion !== currentPackageVersion()) checkRunIdentity(run, { packageVersion: currentPackageVersion(), layoutHash: run.layoutHash }, redactUrl(opts.url));
      const layout = typeof opts.layout === 'string' ? opts.layout : await opts.layout(JSON.parse(run.config));
      checkRunIdentity(run, {
        packageVersion: currentPackageVersion(),
        layoutHash: shortHash(layout),
        configHash: opts.config === undefined ? undefined : shortHash(canonicalJson(opts.config)),
      }, redactUrl(opts.url));
      const subscriber = await connectRedis(opts);
      const actor = new RedisActorTransport(cmd, subscriber, keys, run, opts);
      await actor.start();
      return actor;
    } catch (err) {
      cmd.disconnect();
      throw err;
    }
  }

  /** The training config the learner runs (actors build their envs and policy from it). */
  get config(): unknown {
    return JSON.parse(this.run.config);
  }

  private async start(): Promise<void> {
    this.subscriber.on('message', (_channel: string, message: string) => {
      const v = Number(message);
      if (v > this.notifiedVersion) this.notifiedVersion = v;
    });
    await this.subscriber.subscribe(this.keys.weightsChannel);
    const ttl = this.opts.heartbeatTtlMs ?? 10_000;
    const beat = () => this.cmd.set(this.keys.actorPrefix + this.actorId, JSON.stringify({ host: hostname(), pid: process.pid }), 'PX', ttl);
    await beat();
    this.heartbeat = setInterval(() => void beat().catch(() => undefined), Math.max(10, ttl / 3));
    this.heartbeat.unref();
  }

  async latestWeights(haveVersion: number): Promise<PolicyWeights | null> {
    const now = Date.now();
    const announced = this.notifiedVersion > haveVersion;
    if (!announced && now - this.lastPollAt < (this.opts.weightsPollMs ?? 1000)) return null;
    this.lastPollAt = now;
    const [run, finishedAt] = await this.cmd.hmget(this.keys.run, 'configHash', 'finishedAt');
    if (finishedAt !== null && run === this.run.configHash) throw new Error(`the run at ${redactUrl(this.opts.url)} finished at ${finishedAt}`);
    if (run !== null && run !== this.run.configHash) {
      throw new Error(`the run at ${redactUrl(this.opts.url)} changed config (${this.run.configHash} -> ${run}): this actor stops; start it again to join the new run`);
    }
    // Versions only grow while one learner runs; a lower one means the learner restarted from
    // an older checkpoint, and its weights are the ones to follow.
    const version = await this.cmd.hget(this.keys.weights, 'version');
    if (version === null || Number(version) === haveVersion) return null;
    const weights = decodeWeights(new Map(Object.entries(await this.cmd.hgetallBuffer(this.keys.weights))));
    return weights.version !== haveVersion ? weights : null;
  }

  async pushTrajectory(trajectory: Trajectory): Promise<void> {
    const fields = encodeTrajectory(trajectory, this.seq++);
    await this.cmd.xadd(this.keys.trajectories, 'MAXLEN', '~', this.run.maxStreamLength, '*', ...fields);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.cmd.del(this.keys.actorPrefix + this.actorId).catch(() => undefined);
    this.subscriber.disconnect();
    await this.cmd.quit().catch(() => undefined);
  }
}

async function waitForRun(cmd: Redis, keys: RunKeys, timeoutMs: number, url: string): Promise<RunRecord & { maxStreamLength: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await cmd.hgetall(keys.run);
    if (h.configHash && !h.finishedAt) {
      return {
        packageVersion: h.packageVersion, layoutHash: h.layoutHash, configHash: h.configHash, config: h.config, startedAt: h.startedAt,
        maxStreamLength: Number(h.maxStreamLength) || 1000,
      };
    }
    if (Date.now() >= deadline) throw new Error(`no training run${h.finishedAt ? ' (the last one finished)' : ''} at ${redactUrl(url)} (key ${keys.run}) after ${timeoutMs} ms: start the learner first (ballbot train --redis URL)`);
    await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, deadline - Date.now()))));
  }
}
