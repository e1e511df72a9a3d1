// One learner per run: a lock key with a TTL that the learner refreshes. A second learner on the
// same run is refused (two learners would split the trajectories between them and publish two
// lines of weights); a killed learner's lock expires, so the next one takes over after the TTL.
import type { Redis } from 'ioredis';
import { redactUrl } from './redis-connection.js';

/** Keep the lock if it is ours, or take it again if it expired; 1 when held, 0 when another has it. */
const REFRESH = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class LearnerLock {
  private timer: NodeJS.Timeout | null = null;
  /** Set when another learner holds the run now (this one must stop). */
  lostTo: string | null = null;

  private constructor(private readonly redis: Redis, private readonly key: string, readonly holder: string, private readonly ttlMs: number) {}

  /** Take the lock, waiting up to `waitMs` for a previous (dead) holder's lock to expire. */
  static async acquire(redis: Redis, key: string, holder: string, ttlMs: number, waitMs: number, url: string): Promise<LearnerLock> {
    const lock = new LearnerLock(redis, key, holder, ttlMs);
    const deadline = Date.now() + waitMs;
    while (!(await lock.refresh())) {
      if (Date.now() >= deadline) {
        const other = await redis.get(key);
        throw new Error(`another learner (${other}) is running the run at ${redactUrl(url)} (lock ${key}); stop it, or give this run another key prefix`);
      }
      await new Promise((r) => setTimeout(r, Math.min(100, ttlMs / 4)));
    }
    lock.lostTo = null;
    lock.timer = setInterval(() => void lock.refresh().catch(() => undefined), Math.max(10, ttlMs / 3));
    lock.timer.unref();
    return lock;
  }

  private async refresh(): Promise<boolean> {
    const held = (await this.redis.eval(REFRESH, 1, this.key, this.holder, this.ttlMs)) === 1;
    if (!held) this.lostTo = (await this.redis.get(this.key)) ?? 'unknown';
    return held;
  }

  /** Throws when another learner took the run over (e.g. this one stalled longer than the TTL). */
  check(): void {
    if (this.lostTo !== null && this.timer) throw new Error(`learner ${this.holder} lost the run to learner ${this.lostTo}; stopping`);
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.redis.eval(RELEASE, 1, this.key, this.holder).catch(() => undefined);
  }
}
