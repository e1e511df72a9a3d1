// The learner side of the Redis transport. Trajectories arrive on a Redis Stream read through a
// consumer group; an entry is acknowledged (XACK) when the learner asks for the next batch, i.e.
// after it consumed the previous one, so entries a dead learner had read but not used are
// reclaimed (XAUTOCLAIM) by the next learner. Weights go to one versioned hash, announced on a
// pub/sub channel. Actors are counted by their heartbeat keys (TTL).
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { connectRedis, redactUrl, type RedisEndpoint } from './redis-connection.js';
import { LearnerLock } from './redis-learner-lock.js';
import { decodeTrajectory, encodeWeights, fieldMap } from './redis-codec.js';
import { DEFAULT_RUN_PREFIX, runIdentity, runKeys, type RunKeys, type RunRecord } from './redis-run.js';
import type { LearnerTransport, PolicyWeights, Trajectory, TransportStatus } from './transport.js';

export interface RedisLearnerOptions extends RedisEndpoint {
  /** The resolved training config actors run with (written under the run key). */
  config: unknown;
  /** Observation/action layout the runner feeds, e.g. `obs:gravity_x,...;act:wheel_torque_0,...`. */
  layout: string;
  /** Trajectories whose policy version lags the published one by more than this are dropped. */
  maxPolicyLag: number;
  /** Key prefix of the run (default ballbot:train). */
  prefix?: string;
  /** Approximate cap of the trajectory stream (XADD MAXLEN ~); actors read it from the run key. */
  maxStreamLength?: number;
  /** Entries pending this long at another (dead) learner are claimed (ms). */
  claimIdleMs?: number;
  /** TTL of the one-learner-per-run lock (ms); a killed learner's successor waits at most this long. */
  lockTtlMs?: number;
}

export interface RedisTransportStatus extends TransportStatus {
  /** Entries seen twice (an XADD resent after a reconnect) and skipped. */
  trajectoriesDroppedDuplicate: number;
  /** Entries that could not be decoded, acknowledged and skipped. */
  trajectoriesMalformed: number;
  /** Entries taken over from a dead learner's pending list. */
  trajectoriesReclaimed: number;
  /** Mean policy-version lag of the trajectories returned so far. */
  meanLag: number;
  /** Trajectories returned per second over the last ~10 s. */
  trajectoriesPerSecond: number;
}

/** Window of the trajectories/s rate (ms). */
const RATE_WINDOW_MS = 10_000;

type StreamEntry = [id: Buffer, fields: Buffer[] | null];

export class RedisLearnerTransport implements LearnerTransport {
  private toAck: Buffer[] = [];
  private readonly seen = new SeenSequences();
  private lastWeights: PolicyWeights | null = null;
  private lastClaimAt = 0;
  private lastActorCountAt = 0;
  private lagSum = 0;
  private closed = false;
  private finished = false;
  private readonly counts: RedisTransportStatus = {
    actorsAlive: 0, trajectoriesReceived: 0, trajectoriesDroppedStale: 0, trajectoriesDroppedDuplicate: 0,
    trajectoriesMalformed: 0, trajectoriesReclaimed: 0, meanLag: 0, trajectoriesPerSecond: 0,
  };
  /** (time, trajectoriesReceived) samples inside the rate window. */
  private readonly rateSamples: [number, number][] = [[performance.now(), 0]];

  private constructor(
    private readonly cmd: Redis,
    /** A second connection for the blocking XREADGROUP, so weights publish while it waits. */
    private readonly reader: Redis,
    private readonly keys: RunKeys,
    private readonly record: RunRecord,
    private readonly opts: RedisLearnerOptions,
    private readonly lock: LearnerLock,
    /** This learner's consumer name in the group (also the lock holder). */
    private readonly consumer: string,
  ) {}

  static async open(opts: RedisLearnerOptions): Promise<RedisLearnerTransport> {
    if (!(opts.maxPolicyLag >= 0)) throw new Error(`maxPolicyLag must be >= 0, got ${opts.maxPolicyLag}`);
    const cmd = await connectRedis(opts);
    const keys = runKeys(opts.prefix ?? DEFAULT_RUN_PREFIX);
    const consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const ttl = opts.lockTtlMs ?? 30_000;
    let lock: LearnerLock;
    try {
      lock = await LearnerLock.acquire(cmd, keys.learnerLock, consumer, ttl, ttl + 1000, opts.url);
    } catch (err) {
      cmd.disconnect();
      throw err;
    }
    const reader = await connectRedis(opts);
    const record: RunRecord = { ...runIdentity(opts.config, opts.layout), config: JSON.stringify(opts.config), startedAt: new Date().toISOString() };
    const learner = new RedisLearnerTransport(cmd, reader, keys, record, opts, lock, consumer);
    const previous = await cmd.hget(keys.run, 'configHash');
    if (previous !== null && previous !== record.configHash) {
      // A new run replaces the old one: its experience and weights belong to another config.
      await cmd.del(keys.trajectories, keys.weights);
    }
    await learner.ensureRunState();
    // After a Redis restart that lost data (no persistence), put the run back as it was.
    cmd.on('ready', () => void learner.ensureRunState().catch(() => undefined));
    return learner;
  }

  /** Run key, consumer group and the newest weights exist (idempotent). */
  private async ensureRunState(): Promise<void> {
    if (this.closed) return;
    const fields: (string | number)[] = [];
    for (const [k, v] of Object.entries(this.record)) fields.push(k, v as string);
    fields.push('maxStreamLength', this.opts.maxStreamLength ?? 1000);
    await this.cmd.hset(this.keys.run, ...fields);
    if (!this.finished) await this.cmd.hdel(this.keys.run, 'finishedAt');
    try {
      await this.cmd.xgroup('CREATE', this.keys.trajectories, this.keys.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    if (this.lastWeights) {
      const stored = Number(await this.cmd.hget(this.keys.weights, 'version'));
      if (!(stored >= this.lastWeights.version)) await this.publishWeights(this.lastWeights);
    }
  }

  async publishWeights(weights: PolicyWeights): Promise<void> {
    this.lock.check();
    this.lastWeights = weights;
    // One MULTI: actors never read half of a new version.
    await this.cmd.multi().del(this.keys.weights).hset(this.keys.weights, ...encodeWeights(weights)).publish(this.keys.weightsChannel, String(weights.version)).exec();
  }

  async nextTrajectories(max: number, timeoutMs: number): Promise<Trajectory[]> {
    this.lock.check();
    await this.acknowledgeConsumed();
    await this.refreshActorCount();
    let entries = await this.claimFromDeadLearners(max);
    if (entries.length === 0) entries = await this.readNew(max, timeoutMs);
    const out: Trajectory[] = [];
    const version = this.lastWeights?.version ?? 0;
    for (const [id, fields] of entries) {
      this.toAck.push(id);
      if (!fields) continue; // trimmed by MAXLEN while pending
      let decoded;
      try {
        decoded = decodeTrajectory(fieldMap(fields));
      } catch {
        this.counts.trajectoriesMalformed++;
        continue;
      }
      const { trajectory, seq } = decoded;
      if (!this.seen.add(trajectory.actorId, seq)) {
        this.counts.trajectoriesDroppedDuplicate++;
        continue;
      }
      const lag = version - trajectory.policyVersion;
      // A negative lag: made by weights of a previous learner this one has not reached again.
      if (lag > this.opts.maxPolicyLag || lag < 0) {
        this.counts.trajectoriesDroppedStale++;
        continue;
      }
      this.counts.trajectoriesReceived++;
      this.lagSum += lag;
      out.push(trajectory);
    }
    this.counts.meanLag = this.counts.trajectoriesReceived ? this.lagSum / this.counts.trajectoriesReceived : 0;
    this.updateRate();
    return out;
  }

  private updateRate(): void {
    const now = performance.now();
    this.rateSamples.push([now, this.counts.trajectoriesReceived]);
    while (this.rateSamples.length > 2 && now - this.rateSamples[0][0] > RATE_WINDOW_MS) this.rateSamples.shift();
    const [t0, n0] = this.rateSamples[0];
    this.counts.trajectoriesPerSecond = now > t0 ? ((this.counts.trajectoriesReceived - n0) * 1000) / (now - t0) : 0;
  }

  private async acknowledgeConsumed(): Promise<void> {
    if (this.toAck.length === 0) return;
    const ids = this.toAck;
    this.toAck = [];
    try {
      await this.cmd.xack(this.keys.trajectories, this.keys.group, ...ids);
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      await this.ensureRunState(); // Redis came back empty: nothing left to acknowledge
    }
  }

  private async readNew(max: number, timeoutMs: number): Promise<StreamEntry[]> {
    const args: (string | number)[] = ['GROUP', this.keys.group, this.consumer, 'COUNT', max];
    if (timeoutMs > 0) args.push('BLOCK', Math.ceil(timeoutMs));
    args.push('STREAMS', this.keys.trajectories, '>');
    let reply: unknown;
    try {
      reply = await this.reader.callBuffer('XREADGROUP', args);
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      await this.ensureRunState(); // Redis came back empty
      return [];
    }
    if (!reply) return [];
    const streams = reply as [Buffer, StreamEntry[]][];
    return streams[0]?.[1] ?? [];
  }

  /** Entries another learner read and never acknowledged, idle longer than claimIdleMs. */
  private async claimFromDeadLearners(max: number): Promise<StreamEntry[]> {
    const idle = this.opts.claimIdleMs ?? 30_000;
    const now = Date.now();
    if (now - this.lastClaimAt < Math.min(idle / 2, 5000)) return [];
    this.lastClaimAt = now;
    let reply: [Buffer, StreamEntry[], Buffer[]?];
    try {
      reply = (await this.cmd.callBuffer('XAUTOCLAIM', [this.keys.trajectories, this.keys.group, this.consumer, idle, '0-0', 'COUNT', max])) as typeof reply;
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      await this.ensureRunState();
      return [];
    }
    const claimed = reply[1] ?? [];
    this.counts.trajectoriesReclaimed += claimed.length;
    if (claimed.length === 0) await this.forgetDeadLearners(idle);
    return claimed;
  }

  /** Remove consumers of earlier learners that hold nothing any more, so the group does not grow. */
  private async forgetDeadLearners(idleMs: number): Promise<void> {
    const consumers = (await this.cmd.xinfo('CONSUMERS', this.keys.trajectories, this.keys.group)) as unknown[][];
    for (const fields of consumers) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(String(fields[i]), fields[i + 1]);
      const name = String(info.get('name'));
      if (name !== this.consumer && Number(info.get('pending')) === 0 && Number(info.get('idle')) >= idleMs) {
        await this.cmd.xgroup('DELCONSUMER', this.keys.trajectories, this.keys.group, name);
      }
    }
  }

  private async refreshActorCount(): Promise<void> {
    const now = Date.now();
    // Once a second is enough, except while none is counted: trajectories arriving mean an
    // actor has joined since the last count.
    if (this.counts.actorsAlive > 0 && now - this.lastActorCountAt < 1000) return;
    this.lastActorCountAt = now;
    this.counts.actorsAlive = await countKeys(this.cmd, `${this.keys.actorPrefix}*`);
  }

  /** Count actors alive now (heartbeat keys that have not expired). */
  async actorsAlive(): Promise<number> {
    this.lastActorCountAt = Date.now();
    this.counts.actorsAlive = await countKeys(this.cmd, `${this.keys.actorPrefix}*`);
    return this.counts.actorsAlive;
  }

  /** Mark the run finished: actors stop collecting for it and wait for the next run. */
  async markFinished(): Promise<void> {
    this.finished = true;
    await this.cmd.hset(this.keys.run, 'finishedAt', new Date().toISOString());
  }

  status(): RedisTransportStatus {
    return { ...this.counts };
  }

  describe(): string {
    return `learner ${this.consumer} at ${redactUrl(this.opts.url)} (${this.keys.run})`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.acknowledgeConsumed().catch(() => undefined);
    this.closed = true;
    await this.lock.release();
    this.reader.disconnect();
    await this.cmd.quit().catch(() => undefined);
  }
}

/** The stream or its consumer group is gone: Redis restarted without persistence. */
function isNoGroup(err: unknown): boolean {
  return String((err as Error).message).includes('NOGROUP');
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** (actor, sequence number) pairs seen recently; reclaimed entries may arrive out of order. */
class SeenSequences {
  private readonly byActor = new Map<string, Set<number>>();
  constructor(private readonly perActor = 4096) {}

  /** False when the pair was seen already. */
  add(actor: string, seq: number): boolean {
    let set = this.byActor.get(actor);
    if (!set) this.byActor.set(actor, (set = new Set()));
    if (set.has(seq)) return false;
    set.add(seq);
    if (set.size > this.perActor) set.delete(set.values().next().value as number); // oldest first
    return true;
  }
}
