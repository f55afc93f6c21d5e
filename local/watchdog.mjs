#!/usr/bin/env node
/* global setInterval, clearInterval */
/**
 * Keeps DynamoDB Local from outliving `npm start`. Started detached by local/start.ts:
 *
 *   node local/watchdog.mjs <java-pid> <main-pid> [<ancestor-pid> ...]
 *
 * npm does not forward SIGINT/SIGTERM to its script, and a SIGKILL of the Node process runs
 * no handler at all, so nothing inside that process can guarantee the JVM stops. This process
 * polls: when the main process or any of its watched ancestors (npm, sh, tsx) is gone, it asks
 * the main process to stop (SIGTERM: a graceful stop) and, if the JVM is still there after
 * a grace period, kills it. It exits once the JVM is gone. Plain JavaScript: no build, no deps.
 */
const [javaPid, mainPid, ...ancestors] = process.argv.slice(2).map(Number);
const POLL_MS = 250;
const GRACE_MS = 5000;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

if (!javaPid || !mainPid) process.exit(2);

const timer = setInterval(() => {
  if (!alive(javaPid)) process.exit(0);
  if (alive(mainPid) && ancestors.every(alive)) return;
  clearInterval(timer);
  signal(mainPid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  const reaper = setInterval(() => {
    if (!alive(javaPid)) process.exit(0);
    if (Date.now() < deadline && alive(mainPid)) return;
    signal(javaPid, 'SIGCONT');
    signal(javaPid, 'SIGKILL');
    clearInterval(reaper);
    process.exit(0);
  }, POLL_MS);
}, POLL_MS);
