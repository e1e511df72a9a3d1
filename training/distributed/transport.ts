// The actor-learner transport: actors push trajectories tagged with the policy version that
// produced them; the learner publishes weights under increasing versions. One small interface,
// implemented in-process / over worker threads on one machine and over Redis Streams across
// machines, so the runners never know which one carries their data.

/** One chunk of experience from one actor, made by one policy version. */
export interface Trajectory {
  /** Stable id of the actor process or worker that made it. */
  actorId: string;
  /** Version of the weights the behaviour policy ran with (see PolicyWeights.version). */
  policyVersion: number;
  /** Env steps this trajectory holds (T steps x N envs). */
  envSteps: number;
  /** Runner-defined named arrays (e.g. obs, actions, behaviour log-probs, rewards, dones). */
  arrays: Record<string, Float32Array>;
  /** Episode statistics finished inside this chunk, for logging (e.g. return, length). */
  stats?: Record<string, number>;
}

/** Weights the actors run, versioned by the learner's update count. */
export interface PolicyWeights {
  version: number;
  /** Named flat parameter vectors (e.g. actor params, observation normalizer). */
  arrays: Record<string, Float32Array>;
}

/** What the learner side of a transport does. */
export interface LearnerTransport {
  publishWeights(weights: PolicyWeights): Promise<void>;
  /** Up to `max` trajectories, waiting at most `timeoutMs` for the first one; [] on timeout. */
  nextTrajectories(max: number, timeoutMs: number): Promise<Trajectory[]>;
  /** Health for progress and logs. */
  status(): TransportStatus;
  close(): Promise<void>;
}

/** What the actor side of a transport does. */
export interface ActorTransport {
  /** The newest weights if newer than `haveVersion`, else null (never blocks long). */
  latestWeights(haveVersion: number): Promise<PolicyWeights | null>;
  pushTrajectory(trajectory: Trajectory): Promise<void>;
  close(): Promise<void>;
}

export interface TransportStatus {
  actorsAlive: number;
  trajectoriesReceived: number;
  /** Dropped because their policy version lagged the learner by more than the bound. */
  trajectoriesDroppedStale: number;
  /** Trajectories received per second recently (transports that measure it). */
  trajectoriesPerSecond?: number;
}
