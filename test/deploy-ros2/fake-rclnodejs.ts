// A test double for rclnodejs (ROS 2 cannot run here): an in-process topic bus with ROS 2's
// QoS matching rules. It is typed against rclnodejs' own declarations: the module satisfies
// RclModule (picked from `typeof import('rclnodejs')`), nodes implement the picked Node
// methods with their real overloads, and publishers and subscriptions implement rclnodejs'
// Publisher and Subscription interfaces, so an API change in rclnodejs breaks compilation
// here. QoS is rclnodejs' real (pure JavaScript) QoS class.
import type * as Rcl from 'rclnodejs';
import RealQoS from 'rclnodejs/lib/qos.js';
import type { RclModule, RosNode } from '../../deploy/links/ros2/rcl-api.js';

type AnyCallback = (message: any, info?: Rcl.MessageInfo) => void;

// rclnodejs' d.ts declares QoS reliability as a method; at run time it is a getter (lib/qos.js).
const reliabilityOf = (q: Rcl.QoS): number => (q as unknown as { reliability: number }).reliability;
const durabilityOf = (q: Rcl.QoS): number => q.durability;
const { ReliabilityPolicy, DurabilityPolicy } = RealQoS;

function resolveQos(options: Rcl.Options | undefined): Rcl.QoS {
  const q = options?.qos;
  // Profiles by name: the default profile is reliable, keep last 10, volatile.
  if (q === undefined || typeof q === 'string') {
    return new RealQoS(RealQoS.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST, 10, ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE, DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE);
  }
  return q;
}

/** DDS request-offered rules: a reliable reader needs a reliable writer, a transient-local reader a transient-local writer. */
export function qosCompatible(pub: Rcl.QoS, sub: Rcl.QoS): boolean {
  if (reliabilityOf(sub) === ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE && reliabilityOf(pub) === ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT) return false;
  if (durabilityOf(sub) === DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL && durabilityOf(pub) !== DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL) return false;
  return true;
}

interface ServiceEntry {
  typeClass: Rcl.TypeClass;
  callback: (request: object, response: { send(r: object): void }) => void;
  node: FakeNodeBase;
}

export interface FakeBus {
  publishers: FakePublisher[];
  subscriptions: FakeSubscription[];
  services: Map<string, ServiceEntry>;
  nodes: FakeNodeBase[];
  initCalls: number;
  shutdownCalls: number;
  /** The ROS clock, ms since the epoch (RCL_ROS_TIME). */
  rosNowMs: () => number;
  /** Call a service as `ros2 service call` would; resolves with the response. */
  callService(name: string, request?: object): Promise<any>;
  /** Every message published on a topic, in order (deep copies of typed arrays). */
  published(topic: string): any[];
}

abstract class FakeEntity implements Rcl.Entity {
  options: object;
  readonly typedArrayEnabled = true;
  private destroyed = false;
  constructor(readonly typeClass: Rcl.TypeClass, readonly topic: string, readonly qos: Rcl.QoS, readonly node: FakeNodeBase, options: Rcl.Options | undefined) {
    this.options = options ?? {};
  }
  isDestroyed(): boolean {
    return this.destroyed || this.node.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  readonly loggerName = 'fake';
}

export class FakePublisher extends FakeEntity implements Rcl.Publisher<Rcl.TypeClass> {
  willValidateMessage = false;
  last: unknown = undefined;
  constructor(private readonly bus: FakeBus, typeClass: Rcl.TypeClass, topic: string, options: Rcl.Options | undefined, node: FakeNodeBase) {
    super(typeClass, topic, resolveQos(options), node, options);
  }
  publish(message: any, _options?: Rcl.PublishOptions): void {
    if (this.isDestroyed()) throw new Error(`publish on destroyed publisher ${this.topic}`);
    const copy = structuredClone(message);
    this.last = copy;
    log(this.bus).get(this.topic)?.push(copy) ?? log(this.bus).set(this.topic, [copy]);
    for (const sub of this.bus.subscriptions) {
      if (sub.topic === this.topic && !sub.isDestroyed() && qosCompatible(this.qos, sub.qos)) sub.deliver(copy);
    }
  }
  setValidation(_options: Rcl.MessageValidationOptions): void {
    throw new Error('setValidation: not used by the ROS 2 link');
  }
  subscriptionCount(): number {
    return this.bus.subscriptions.filter((s) => s.topic === this.topic && !s.isDestroyed() && qosCompatible(this.qos, s.qos)).length;
  }
  waitForAllAcked(_timeout: bigint): boolean {
    return true; // delivery is synchronous
  }
  assertLiveliness(): void {}
}

export class FakeSubscription extends FakeEntity implements Rcl.Subscription {
  readonly isRaw = false;
  constructor(private readonly bus: FakeBus, typeClass: Rcl.TypeClass, topic: string, options: Rcl.Options | undefined, private readonly callback: AnyCallback, node: FakeNodeBase) {
    super(typeClass, topic, resolveQos(options), node, options);
  }
  deliver(message: unknown): void {
    // Like rclnodejs: nothing is delivered until the node spins.
    if (this.node.spinning && !this.isDestroyed()) this.callback(structuredClone(message));
  }
  isContentFilterSupported(): boolean {
    return false;
  }
  hasContentFilter(): boolean {
    return false;
  }
  setContentFilter(_filter: Rcl.SubscriptionContentFilter): boolean {
    return false;
  }
  getContentFilter(): Rcl.SubscriptionContentFilter | undefined {
    return undefined;
  }
  clearContentFilter(): boolean {
    return false;
  }
  publisherCount(): number {
    return this.bus.publishers.filter((p) => p.topic === this.topic && !p.isDestroyed() && qosCompatible(p.qos, this.qos)).length;
  }
}

const logs = new WeakMap<FakeBus, Map<string, unknown[]>>();
function log(bus: FakeBus): Map<string, unknown[]> {
  let m = logs.get(bus);
  if (!m) logs.set(bus, (m = new Map()));
  return m;
}

abstract class FakeNodeBase {
  spinning = false;
  destroyed = false;
}

/** A fresh bus and an rclnodejs-shaped module bound to it. */
export function createFakeRcl(options: { rosNowMs?: () => number } = {}): { rcl: RclModule; bus: FakeBus } {
  const bus: FakeBus = {
    publishers: [],
    subscriptions: [],
    services: new Map(),
    nodes: [],
    initCalls: 0,
    shutdownCalls: 0,
    rosNowMs: options.rosNowMs ?? (() => performance.timeOrigin + performance.now()),
    callService(name, request = {}) {
      const entry = bus.services.get(name);
      if (!entry || entry.node.destroyed) return Promise.reject(new Error(`no service ${name}`));
      return new Promise((resolve) => entry.callback(request, { send: resolve }));
    },
    published(topic) {
      return log(bus).get(topic) ?? [];
    },
  };

  class FakeNode extends FakeNodeBase implements RosNode {
    constructor(readonly nodeName: string, readonly namespace = '') {
      super();
      bus.nodes.push(this);
    }

    createPublisher = <T extends Rcl.TypeClass>(typeClass: T, topic: string, options?: Rcl.Options, _events?: (event: object) => void): Rcl.Publisher<T> => {
      const pub = new FakePublisher(bus, typeClass, topic, options, this);
      bus.publishers.push(pub);
      return pub;
    };

    createSubscription = <T extends Rcl.TypeClass>(
      typeClass: T,
      topic: string,
      optionsOrCallback: Rcl.Options | Rcl.SubscriptionCallback<T>,
      callback?: Rcl.SubscriptionCallback<T> | Rcl.SubscriptionWithRawMessageCallback,
      _events?: (event: object) => void,
    ): Rcl.Subscription => {
      const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
      const cb = (typeof optionsOrCallback === 'function' ? optionsOrCallback : callback) as AnyCallback;
      const sub = new FakeSubscription(bus, typeClass, topic, options, cb, this);
      bus.subscriptions.push(sub);
      return sub;
    };

    createService = <T extends Rcl.TypeClass>(
      typeClass: T,
      serviceName: string,
      optionsOrCallback: Rcl.Options | Rcl.ServiceRequestHandler<T>,
      callback?: Rcl.ServiceRequestHandler<T>,
    ): object => {
      const cb = (typeof optionsOrCallback === 'function' ? optionsOrCallback : callback) as ServiceEntry['callback'];
      if (bus.services.has(serviceName) && !bus.services.get(serviceName)!.node.destroyed) throw new Error(`service ${serviceName} already exists`);
      bus.services.set(serviceName, { typeClass, callback: cb, node: this });
      return { serviceName };
    };

    countPublishers(topic: string): number {
      return bus.publishers.filter((p) => p.topic === topic && !p.isDestroyed()).length;
    }

    countSubscribers(topic: string): number {
      return bus.subscriptions.filter((s) => s.topic === topic && !s.isDestroyed()).length;
    }

    spin(_timeout?: number): void {
      if (this.spinning) throw new Error('node is already spinning');
      this.spinning = true;
      // Transient-local publishers hand their last message to matching late subscribers.
      for (const sub of bus.subscriptions) {
        if (sub.node !== this) continue;
        for (const pub of bus.publishers) {
          if (pub.topic === sub.topic && pub.last !== undefined && !pub.isDestroyed() && durabilityOf(pub.qos) === DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL && qosCompatible(pub.qos, sub.qos)) {
            sub.deliver(pub.last);
          }
        }
      }
    }

    destroy(): void {
      this.destroyed = true;
      this.spinning = false;
    }

    now(): Pick<Rcl.Time, 'nanoseconds'> {
      return { nanoseconds: BigInt(Math.round(bus.rosNowMs() * 1e6)) };
    }
  }

  const rcl: RclModule = {
    init: async (_context?: Rcl.Context, _argv?: string[]) => {
      bus.initCalls++;
    },
    shutdown: (_context?: Rcl.Context) => {
      bus.shutdownCalls++;
    },
    removeSignalHandlers: () => {},
    QoS: RealQoS,
    Node: FakeNode,
  };
  return { rcl, bus };
}
