/** Helpers for tests that run Keygate as processes (`npm start`, the example upstream). */
import { execFileSync } from 'node:child_process';

/** Sends a signal; a process (or group, with a negative pid) that is already gone is fine. */
export function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** Processes whose command line mentions `text` (DynamoDB Local's JVM carries `-dbPath <KEYGATE_HOME>/dynamodb`). */
export function pidsMatching(text: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes('ps -eo'))
    .map((l) => Number.parseInt(l.trim(), 10));
}
