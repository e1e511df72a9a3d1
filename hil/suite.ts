// The hardware-in-the-loop scenario suite: the deploy runtime (runDeploy/startDeploy) driving
// a robot over the serial link, against the virtual robot (sim + C firmware behind a pty) or a
// real board on a port. Each scenario checks one promise of the stack and says why it failed.
import { atomicWriteFile } from '../common/atomic-write.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDeploy, type DeployHandle, type SafetyEvent } from '../deploy/index.js';
import { tiltFromQuaternion } from '../sim/observation.js';
import { FAULT, MODE, SCHEMA_HASH } from '../firmware-bridge/messages.js';
import { createSerialLink, type SerialLink } from '../deploy/links/serial-link.js';
import { RemoteVirtualRobot } from './serial-virtual-robot-remote.js';
import type { FirmwareTarget } from './firmware-process.js';
import { formatCounters, linkCounters, type LinkCounters } from './counters.js';

export interface HilOptions {
  policy?: string;
  controller?: 'lqr';
  /** A real board's serial port; without it the virtual robot is used. */
  port?: string;
  balanceSeconds?: number;
  corruptionSeconds?: number;
  /** Byte corruption probability for the corruption scenario (default 0.01). */
  corruptionRate?: number;
  pushMps?: number;
  seed?: number;
  /** Deploy config overrides (key=value), as `ballbot deploy --set`. */
  overrides?: string[];
  /** The virtual robot's firmware command watchdog, ms (default 100). */
  watchdogMs?: number;
  /** Where the virtual robot's firmware runs: a host process (default) or the Cortex-M3 build in QEMU. */
  target?: FirmwareTarget;
  /** The QEMU board's hardware watchdog, ms (default: the board's 20 ms). */
  hwWatchdogMs?: number;
  /** The virtual robot's sensor and STATE rate, Hz (default 500). */
  stateRateHz?: number;
  /** Scheduling slack allowed on top of the timing limits, ms (a loaded VM is not an RTOS). */
  slackMs?: number;
  log?: (line: string) => void;
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  skipped?: boolean;
  detail: string;
  seconds: number;
  metrics?: Record<string, number>;
}

export interface HilResult {
  passed: boolean;
  target: string;
  scenarios: ScenarioResult[];
  /** Host and firmware counters over the whole run, side by side. */
  counters?: LinkCounters;
}

const DEG = 180 / Math.PI;

/** Runs scenarios in order, timing each and turning a thrown error into a failure. */
class ScenarioRunner {
  readonly results: ScenarioResult[] = [];
  constructor(private readonly log: (line: string) => void) {}

  async run(name: string, body: () => Promise<Omit<ScenarioResult, 'name' | 'seconds'>>): Promise<ScenarioResult> {
    const t0 = performance.now();
    this.log(`hil: ${name} ...`);
    let r: Omit<ScenarioResult, 'name' | 'seconds'>;
    try {
      r = await body();
    } catch (err) {
      r = { passed: false, detail: `error: ${(err as Error).message}` };
    }
    const result = { name, ...r, seconds: (performance.now() - t0) / 1000 };
    this.log(`hil: ${name}: ${result.skipped ? 'SKIP' : result.passed ? 'PASS' : 'FAIL'} (${result.detail})`);
    this.results.push(result);
    return result;
  }

  skip(name: string, why: string): void {
    this.results.push({ name, passed: true, skipped: true, detail: why, seconds: 0 });
    this.log(`hil: ${name}: SKIP (${why})`);
  }
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(1);
  }
  return true;
}

export async function runHil(o: HilOptions): Promise<HilResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const slack = o.slackMs ?? 5;
  const runner = new ScenarioRunner(log);
  const vr = o.port ? null : await RemoteVirtualRobot.start({
    seed: o.seed ?? 1, watchdogMs: o.watchdogMs ?? 100, target: o.target, hwWatchdogMs: o.hwWatchdogMs, stateRateHz: o.stateRateHz, log: (l) => log(`virtual-robot: ${l}`),
  });
  let counters: LinkCounters | undefined;
  const port = o.port ?? vr!.hostPort;
  let handle: DeployHandle | null = null;
  const estops: { atMs: number; e: SafetyEvent }[] = [];

  // Tilt seen by the monitor: ground truth on the virtual robot, the reported attitude on a board.
  let peakTiltDeg = 0;
  let link: SerialLink | null = null;
  const tiltNow = (): number => {
    if (vr) return vr.tiltRad * DEG;
    const s = link?.latestState();
    return s ? tiltFromQuaternion(s.orientation) * DEG : NaN;
  };
  let fell = false;
  if (vr) vr.onStep = (tiltRad, fallen) => {
    const d = tiltRad * DEG;
    if (d > peakTiltDeg) peakTiltDeg = d;
    if (fallen) fell = true;
  };
  const monitor = setInterval(() => {
    if (!vr) peakTiltDeg = Math.max(peakTiltDeg, tiltNow() || 0);
  }, 10);
  const resetWindow = () => {
    peakTiltDeg = 0;
    fell = false;
    estops.length = 0;
  };
  const estopText = () => estops.map((x) => `${x.e.rule}: ${x.e.detail}`).join('; ');
  /**
   * Before a scenario: if an earlier one (or a stall of this machine) left the robot stopped,
   * stand it up and re-arm, so one failure does not cascade. Up to three attempts.
   */
  const ensureRunning = async (h: DeployHandle): Promise<void> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (h.mode === 'ARMING') await until(() => h.mode !== 'ARMING', 3000);
      if (h.mode === 'RUNNING' && !vr?.fallen) return;
      if (vr) vr.resetPlant(0);
      await sleep(300);
      if (h.mode === 'ESTOP') h.rearm('HIL: recover for the next scenario');
      else if (h.mode === 'DISARMED') {
        // The firmware may have latched again (watchdog) after a refused arm: clear it first.
        link?.sendArm();
        h.arm('HIL: recover for the next scenario');
      }
      else if (h.mode === 'RUNNING') h.estop('HIL: robot fell, stop before standing it up');
      if (await until(() => h.mode === 'RUNNING', 4000)) return;
    }
    throw new Error(`could not arm before the scenario (mode ${h.mode}${estops.length ? `; ${estopText()}` : ''})`);
  };
  try {
    // Let the virtual robot's worker finish its start-up (WASM compile, JIT) before anything is timed.
    if (vr) await until(() => vr.ticks > 50, 10000);
    await runner.run('handshake with a wrong schema hash refused', async () => {
      const wrong = createSerialLink({ path: port, schemaHash: SCHEMA_HASH ^ 0x0badf00d, handshakeTimeoutMs: 1500 });
      try {
        await wrong.connect();
        await wrong.close();
        return { passed: false, detail: 'the firmware accepted a peer with another schema hash' };
      } catch (err) {
        const msg = (err as Error).message;
        await wrong.close();
        const refused = /schema hash mismatch/.test(msg);
        const flagged = vr ? await until(() => (vr.report.faultFlags & FAULT.HANDSHAKE_REJECTED) !== 0, 2000) : true;
        return { passed: refused && flagged, detail: refused ? `refused: ${msg.replace(/^serial link: /, '')}${vr && !flagged ? '; but the firmware did not flag it' : ''}` : `failed differently: ${msg}` };
      }
    });

    link = createSerialLink({ path: port, log });
    handle = await startDeploy({
      policy: o.policy, controller: o.controller, link, arm: true, log: (l) => log(l), overrides: o.overrides ?? [],
      onEvent: (e) => { if (e.effect === 'estop') estops.push({ atMs: performance.now(), e }); },
    });
    const h = handle;
    const period = 1000 / h.config.rateHz;
    await until(() => h.mode === 'RUNNING', 5000); // if not, the first scenario re-arms (and says so if it cannot)

    const balanceS = o.balanceSeconds ?? 30;
    await runner.run(`balance ${balanceS} s`, async () => {
      await ensureRunning(h);
      resetWindow();
      await sleep(balanceS * 1000);
      const ok = estops.length === 0 && !fell && peakTiltDeg < 5 && h.mode === 'RUNNING';
      return {
        passed: ok, metrics: { maxTiltDeg: peakTiltDeg },
        detail: `max tilt ${peakTiltDeg.toFixed(2)} deg${fell ? ', FELL' : ''}${estops.length ? `, e-stop: ${estopText()}` : ''}, mode ${h.mode}`,
      };
    });

    const push = o.pushMps ?? 0.3;
    if (vr) {
      await runner.run(`push recovery (${push} m/s)`, async () => {
        await ensureRunning(h);
        resetWindow();
        vr.push(push, 0);
        await sleep(3000);
        const settled = tiltNow();
        const ok = estops.length === 0 && !fell && settled < 2;
        return {
          passed: ok, metrics: { peakTiltDeg, settledTiltDeg: settled },
          detail: `peak tilt ${peakTiltDeg.toFixed(2)} deg, ${settled.toFixed(2)} deg after 3 s${fell ? ', FELL' : ''}${estops.length ? `, e-stop: ${estopText()}` : ''}`,
        };
      });
    } else runner.skip(`push recovery (${push} m/s)`, 'needs --virtual (no way to push a board from here)');

    const rate = o.corruptionRate ?? 0.01;
    const corruptS = o.corruptionSeconds ?? 10;
    if (vr) {
      await runner.run(`${(rate * 100).toFixed(0)}% byte corruption for ${corruptS} s`, async () => {
        await ensureRunning(h);
        resetWindow();
        const gaps0 = link!.counters.gaps, bad0 = link!.health().framesBad;
        vr.setCorruption(rate, (o.seed ?? 1) * 7919);
        await sleep(corruptS * 1000);
        vr.setCorruption(0);
        await sleep(300); // clean frames after the last corrupted one reveal the final gap
        const lost = link!.counters.gaps - gaps0, bad = link!.health().framesBad - bad0;
        const injected = vr.report.txLost;
        const ok = lost === injected && estops.length === 0 && !fell && h.mode === 'RUNNING';
        return {
          passed: ok, metrics: { framesCorrupted: vr.report.txCorrupted, framesLostInjected: injected, framesLostSeen: lost, badFrames: bad, maxTiltDeg: peakTiltDeg },
          detail: `${vr.report.txCorrupted} frames corrupted; host lost ${lost} frames, injector says ${injected}; ${bad} bad frames dropped; max tilt ${peakTiltDeg.toFixed(2)} deg${estops.length ? `, e-stop: ${estopText()}` : ''}`,
        };
      });
    } else runner.skip(`${(rate * 100).toFixed(0)}% byte corruption for ${corruptS} s`, 'needs --virtual (the injector lives in the virtual firmware)');

    await runner.run('operator e-stop round trip', async () => {
      await ensureRunning(h);
      await sleep(200);
      if (link!.status.mode !== MODE.ARMED) throw new Error(`the firmware is not armed before the e-stop (mode ${link!.status.mode})`);
      resetWindow();
      const t0 = performance.now();
      h.estop('operator e-stop (HIL)');
      const back = await until(() => link!.status.mode === MODE.ESTOP, 1000);
      const rtt = link!.status.modeChangedMs - t0;
      const zeroed = vr ? await until(() => vr.report.mode === MODE.ESTOP && vr.report.torque.every((x) => x === 0), 500) : true;
      const fwZeroMs = vr ? vr.report.atMs - t0 : NaN;
      const ok = back && zeroed && h.mode === 'ESTOP' && rtt <= 2 * period + slack;
      return {
        passed: ok, metrics: { roundTripMs: rtt, firmwareZeroMs: fwZeroMs },
        detail: back ? `firmware latched e-stop, confirmed to the host after ${rtt.toFixed(2)} ms${vr ? ` (zero torque reported ${fwZeroMs.toFixed(2)} ms after the request)` : ''}; host mode ${h.mode}` : 'the firmware never confirmed the e-stop',
      };
    });

    await runner.run('re-arm after e-stop', async () => {
      if (vr) vr.resetPlant(0); // the robot was lowered and stood up again while stopped
      await sleep(200);
      resetWindow();
      h.rearm('HIL re-arm');
      const armed = await until(() => h.mode === 'RUNNING' && link!.status.mode === MODE.ARMED, 4000);
      await sleep(2000);
      const ok = armed && estops.length === 0 && !fell && h.mode === 'RUNNING' && link!.status.mode === MODE.ARMED;
      return {
        passed: ok, metrics: { maxTiltDeg: peakTiltDeg },
        detail: armed ? `re-armed (host ${h.mode}, firmware ${link!.status.mode === MODE.ARMED ? 'ARMED' : `mode ${link!.status.mode}`}), balanced 2 s, max tilt ${peakTiltDeg.toFixed(2)} deg${estops.length ? `, e-stop: ${estopText()}` : ''}` : `did not re-arm (host ${h.mode}, firmware mode ${link!.status.mode})${estops.length ? `; ${estopText()}` : ''}`,
      };
    });

    if (vr) {
      await runner.run('link cut', async () => {
        await ensureRunning(h);
        await sleep(200);
        resetWindow();
        const trips0 = vr.report.watchdogTrips;
        const lastStamp = () => link!.latestState()?.stampMs ?? NaN;
        vr.cutLink();
        const tCut = performance.now();
        const hostStopped = await until(() => estops.length > 0, 2000);
        const lastFrame = link!.status.lastFrameMs; // no frame arrives while cut
        const fwStopped = await until(() => vr.report.watchdogTrips > trips0, 2000);
        const watchdogMs = link!.firmware?.watchdogMs ?? 100;
        const zeroAfterMs = ((vr.report.watchdogTripUs - vr.report.watchdogLastFeedUs) >>> 0) / 1000;
        const fwZeroFromCutMs = vr.lastZeroedAtMs - tCut;
        // The host rule that fired, its timeout and the moment its clock started.
        const rule = hostStopped ? estops[0].e.rule : 'none';
        const timeout = rule === 'linkHealth' ? h.config.safety.linkHealth.maxSilenceMs : h.config.safety.staleState.timeoutMs;
        const since = rule === 'linkHealth' ? lastFrame : lastStamp();
        const hostAfterMs = hostStopped ? estops[0].atMs - since : NaN;
        const hostLateMs = hostAfterMs - timeout;
        const ok = hostStopped && fwStopped && zeroAfterMs <= watchdogMs + 1 + slack && vr.report.torque.every((x) => x === 0) && hostLateMs <= period + slack;
        vr.restoreLink();
        return {
          passed: ok, metrics: { firmwareZeroAfterLastCommandMs: zeroAfterMs, firmwareZeroAfterCutMs: fwZeroFromCutMs, hostEstopAfterLastStateMs: hostAfterMs, hostEstopAfterTimeoutMs: hostLateMs },
          detail: `${fwStopped ? `firmware zeroed torque ${zeroAfterMs.toFixed(1)} ms after the last command (${fwZeroFromCutMs.toFixed(1)} ms after the cut; watchdog ${watchdogMs} ms)` : 'firmware watchdog never tripped'}; ${hostStopped ? `host latched e-stop (${rule}) ${hostAfterMs.toFixed(1)} ms after the last ${rule === 'linkHealth' ? 'frame' : 'state stamp'} = ${hostLateMs.toFixed(1)} ms after its ${timeout} ms timeout (tick ${period.toFixed(1)} ms)` : 'host never latched e-stop'}`,
        };
      });
    } else runner.skip('link cut', 'needs --virtual (the firmware side cannot be observed on a board from here)');
  } finally {
    if (link) counters = linkCounters(link, vr?.report ?? null, estops.length);
    clearInterval(monitor);
    if (handle) await handle.stop().catch(() => {});
    else await link?.close().catch(() => {});
    await vr?.close();
  }
  const passed = runner.results.every((r) => r.passed);
  const target = o.port ? `port ${o.port}` : o.target === 'qemu' ? 'virtual robot on QEMU lm3s6965evb' : 'virtual robot';
  return { passed, target, scenarios: runner.results, counters };
}

/** A table for humans. */
export function formatHilTable(r: HilResult): string {
  const w = Math.max(...r.scenarios.map((s) => s.name.length), 8);
  const lines = [`HIL suite on ${r.target}`, `${'scenario'.padEnd(w)}  result  time    detail`];
  for (const s of r.scenarios) lines.push(`${s.name.padEnd(w)}  ${(s.skipped ? 'skip' : s.passed ? 'PASS' : 'FAIL').padEnd(6)}  ${s.seconds.toFixed(1).padStart(5)}s  ${s.detail}`);
  if (r.counters) lines.push('', formatCounters(r.counters));
  lines.push(r.passed ? 'all scenarios passed' : `${r.scenarios.filter((s) => !s.passed).length} scenario(s) FAILED`);
  return lines.join('\n');
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML (one testsuite), written atomically. */
export function writeJunit(file: string, r: HilResult): void {
  const failures = r.scenarios.filter((s) => !s.passed).length;
  const skipped = r.scenarios.filter((s) => s.skipped).length;
  const total = r.scenarios.reduce((a, s) => a + s.seconds, 0);
  const cases = r.scenarios.map((s) => {
    const inner = s.skipped ? `<skipped message="${xml(s.detail)}"/>` : s.passed ? `<system-out>${xml(s.detail)}</system-out>` : `<failure message="${xml(s.detail)}"/>`;
    return `  <testcase classname="ballbot.hil" name="${xml(s.name)}" time="${s.seconds.toFixed(3)}">${inner}</testcase>`;
  });
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="ballbot-hil (${xml(r.target)})" tests="${r.scenarios.length}" failures="${failures}" skipped="${skipped}" time="${total.toFixed(3)}">\n${cases.join('\n')}\n</testsuite>\n`;
  atomicWriteFile(file, text);
}
