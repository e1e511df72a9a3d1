// `ballbot hil`: the hardware-in-the-loop scenario suite against a board or the virtual robot.
import { numberFlag, parseCommand, printJsonLine, UsageError, seedFlag, inputFileFlag } from '../args.js';

const spec = {
  usage: `usage: ballbot hil (--policy FILE.onnx | --controller lqr) (--port /dev/ttyX | --virtual [--target host|qemu]) [--json] [--junit FILE]

Runs the HIL scenarios (wrong-schema handshake, balance, push recovery, byte corruption,
operator e-stop round trip, re-arm after e-stop, link cut) through the deploy runtime and the
serial link. Exits 1 when a scenario fails.

  --policy FILE          ONNX policy artifact
  --controller lqr       the LQR baseline instead of a policy
  --port PATH            a board's serial port (scenarios needing the simulator are skipped)
  --virtual              the virtual robot (simulator + C firmware behind a pty)
  --target host|qemu     where the virtual robot's firmware runs: a host process built with gcc
                         (default), or the Cortex-M3 build booted in QEMU (lm3s6965evb), its
                         protocol UART a QEMU pty (needs gcc-arm-none-eabi, libnewlib-arm-none-eabi,
                         qemu-system-arm)
  --hw-watchdog-ms MS    the QEMU board's hardware watchdog (default: the board's 20 ms)
  --state-rate HZ        the virtual robot's sensor and STATE rate (default 500)
  --balance-seconds S    length of the balance scenario (default 30)
  --corruption-seconds S length of the corruption scenario (default 10)
  --corruption-rate P    byte corruption probability (default 0.01)
  --push M/S             push size (default 0.3)
  --slack-ms MS          scheduling slack allowed on timing limits (default 5)
  --seed N               virtual robot seed (default 1)
  --watchdog-ms MS       the virtual firmware's command watchdog (default 100)
  --set KEY=VALUE        deploy config override, as for ballbot deploy (repeatable)
  --json                 one JSON object on the last line: {passed, target, scenarios: [{name, passed, detail}],
                         counters: [{name, host, firmware}]}
  --junit FILE           also write JUnit XML`,
  options: {
    policy: { type: 'string' },
    controller: { type: 'string' },
    port: { type: 'string' },
    virtual: { type: 'boolean' },
    target: { type: 'string' },
    'hw-watchdog-ms': { type: 'string' },
    'state-rate': { type: 'string' },
    'balance-seconds': { type: 'string' },
    'corruption-seconds': { type: 'string' },
    'corruption-rate': { type: 'string' },
    push: { type: 'string' },
    'slack-ms': { type: 'string' },
    seed: { type: 'string' },
    'watchdog-ms': { type: 'string' },
    set: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    junit: { type: 'string' },
  },
} as const;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(spec, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.policy && !v.controller) throw new UsageError(`give --policy FILE.onnx or --controller lqr\n${spec.usage}`);
  if (v.policy && v.controller) throw new UsageError('give either --policy or --controller, not both');
  if (v.controller && v.controller !== 'lqr') throw new UsageError(`--controller: unknown controller '${v.controller}' (available: lqr)`);
  if (!!v.port === !!v.virtual) throw new UsageError(`give exactly one of --port PATH or --virtual\n${spec.usage}`);
  const { FIRMWARE_TARGETS } = await import('../../hil/firmware-process.js');
  const target = (v.target ?? 'host') as (typeof FIRMWARE_TARGETS)[number];
  if (!FIRMWARE_TARGETS.includes(target)) throw new UsageError(`--target: unknown target '${v.target}' (available: ${FIRMWARE_TARGETS.join(', ')})`);
  if (v.target && !v.virtual) throw new UsageError('--target selects where the virtual robot runs: give it with --virtual');
  if (v['hw-watchdog-ms'] && target !== 'qemu') throw new UsageError('--hw-watchdog-ms: only the QEMU board has a hardware watchdog (give --target qemu)');
  const { runHil, formatHilTable, writeJunit } = await import('../../hil/suite.js');
  const result = await runHil({
    policy: inputFileFlag(v.policy, 'policy'), controller: v.controller as 'lqr' | undefined, port: v.port,
    balanceSeconds: numberFlag(v['balance-seconds'], 'balance-seconds', 30, { min: 1 }),
    corruptionSeconds: numberFlag(v['corruption-seconds'], 'corruption-seconds', 10, { min: 1 }),
    corruptionRate: numberFlag(v['corruption-rate'], 'corruption-rate', 0.01, { min: 0, max: 0.2 }),
    pushMps: numberFlag(v.push, 'push', 0.3, { min: 0, max: 3 }),
    slackMs: numberFlag(v['slack-ms'], 'slack-ms', 5, { min: 0 }),
    seed: seedFlag(v.seed, 1),
    watchdogMs: numberFlag(v['watchdog-ms'], 'watchdog-ms', 100, { min: 1, max: 60000, integer: true }),
    target,
    stateRateHz: numberFlag(v['state-rate'], 'state-rate', 500, { min: 10, max: 2000 }),
    hwWatchdogMs: v['hw-watchdog-ms'] ? numberFlag(v['hw-watchdog-ms'], 'hw-watchdog-ms', 20, { min: 1, max: 60000, integer: true }) : undefined,
    overrides: v.set ?? [],
  });
  if (v.junit) writeJunit(v.junit, result);
  const table = formatHilTable(result);
  if (v.json) {
    process.stderr.write(table + '\n');
    printJsonLine({ passed: result.passed, target: result.target, scenarios: result.scenarios.map((s) => ({ name: s.name, passed: s.passed, skipped: s.skipped ?? false, detail: s.detail, seconds: s.seconds, metrics: s.metrics })), counters: result.counters?.rows ?? [] });
  } else {
    process.stdout.write(table + '\n');
  }
  return result.passed ? 0 : 1;
}
