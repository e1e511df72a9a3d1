// The operator at the terminal: confirm before arming a real robot, and keys while it runs
// (e-stop at any time, explicit re-arm, quit). Without a terminal, stdin lines do the same
// ("estop", "arm", "stop"), so scripts can drive a run.
import { createInterface } from 'node:readline';

export interface OperatorActions {
  estop(reason: string): void;
  requestArm(reason: string): { ok: boolean; message: string };
  quit(): void;
}

const OPERATOR_HELP = 'keys: [space]/e = E-STOP, r = arm / re-arm, q = stop (e-stop first)';

/** Ask on the terminal; resolves true only when the operator types "arm". */
export function confirmArm(linkName: string, policyName: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(`\nArm ${policyName} on the ${linkName} link? Torque will be applied. Type 'arm' and Enter (anything else stays disarmed): `, (answer) => {
      rl.close();
      resolve(answer.trim().toLowerCase() === 'arm');
    });
  });
}

/** Listen for operator input; returns a function that stops listening. */
export function attachOperator(actions: OperatorActions, log: (line: string) => void): () => void {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === ' ' || ch === 'e' || ch === 'E') actions.estop('operator e-stop key');
        else if (ch === 'r' || ch === 'R') log(`deploy: arm request: ${actions.requestArm('operator key').message}`);
        else if (ch === 'q' || ch === 'Q' || ch === '\u0003') actions.quit();
      }
    };
    stdin.on('data', onData);
    log(`deploy: ${OPERATOR_HELP}`);
    return () => {
      stdin.off('data', onData);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
    };
  }
  const rl = createInterface({ input: stdin });
  rl.on('line', (line) => {
    const cmd = line.trim().toLowerCase();
    if (cmd === 'estop' || cmd === 'e') actions.estop('operator e-stop (stdin)');
    else if (cmd === 'arm' || cmd === 'rearm') log(`deploy: arm request: ${actions.requestArm('operator (stdin)').message}`);
    else if (cmd === 'stop' || cmd === 'quit') actions.quit();
    else if (cmd) log(`deploy: unknown operator command '${cmd}' (estop, arm, rearm, stop)`);
  });
  return () => rl.close();
}
