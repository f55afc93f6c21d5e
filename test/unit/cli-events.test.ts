/**
 * `keygate events` (cli/events.ts): parsing events.ndjson, the --type prefix, the line format,
 * reading from an offset, and --follow, which the tests step through an injected `wait` while
 * they append lines: what is printed is asserted, never how long it took.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsPath, followEvents, formatEvent, type KeygateEvent, matchesType, parseEventLine, parseTypePrefix, readEventsFrom } from '../../cli/events';
import { main } from '../../cli/main';
import { UsageError } from '../../cli/errors';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-events-'));
  dirs.push(dir);
  return dir;
}
const line = (event: KeygateEvent) => JSON.stringify(event) + '\n';

const expiring = { type: 'keygate.key.expiring', keyId: 'key_1', ownerId: 'acme', name: 'billing', thresholdDays: 7, expiresAt: '2030-01-08T00:00:00.000Z', time: '2030-01-01T00:00:00.000Z' };
const created = { type: 'keygate.audit.key.created', keyId: 'key_1', time: '2030-01-01T00:00:01.000Z' };
const warning = { type: 'keygate.quota.warning', keyId: 'key_2', ownerId: 'acme', quota: 'daily', used: 80, time: '2030-01-01T00:00:02.000Z' };

/** A `wait` the test releases one step at a time, and that says when the follower is waiting. */
function stepper() {
  let release: (() => void) | undefined;
  let waiting: (() => void) | undefined;
  let isWaiting = new Promise<void>((resolve) => (waiting = resolve));
  return {
    wait: () =>
      new Promise<void>((resolve) => {
        release = resolve;
        waiting?.();
      }),
    /** Resolves once the follower has read everything there is and is waiting again. */
    waiting: () => isWaiting,
    step: () => {
      isWaiting = new Promise<void>((resolve) => (waiting = resolve));
      release?.();
    },
  };
}

describe('parseEventLine', () => {
  it('reads an event and skips what is not one', () => {
    expect(parseEventLine(JSON.stringify(expiring))).toEqual(expiring);
    for (const bad of ['', '   ', '{"type":', '[1,2]', '"text"', '{"keyId":"k"}', '{"type":""}', '{"type":5}', 'null']) {
      expect(parseEventLine(bad), bad).toBeUndefined();
    }
  });
});

describe('--type', () => {
  it('is a prefix of the type, with keygate. optional', () => {
    expect(parseTypePrefix(undefined)).toBeUndefined();
    expect(parseTypePrefix('key.expir')).toBe('keygate.key.expir');
    expect(parseTypePrefix('keygate.quota.warning')).toBe('keygate.quota.warning');
    expect(matchesType(expiring, 'keygate.key.expir')).toBe(true);
    expect(matchesType({ type: 'keygate.key.expired' }, 'keygate.key.expir')).toBe(true);
    expect(matchesType(warning, 'keygate.key.expir')).toBe(false);
    expect(matchesType(created, parseTypePrefix('audit'))).toBe(true);
    expect(matchesType(created, undefined)).toBe(true);
  });

  it('rejects an empty or odd --type', () => {
    expect(() => parseTypePrefix('  ')).toThrow(UsageError);
    expect(() => parseTypePrefix('key expiring')).toThrow(/--type must be an event type/);
  });
});

describe('formatEvent', () => {
  it('prints time, type, then key, owner and name first and the other fields after', () => {
    expect(formatEvent(expiring)).toBe(
      '2030-01-01T00:00:00.000Z  keygate.key.expiring  keyId=key_1  ownerId=acme  name=billing  thresholdDays=7  expiresAt=2030-01-08T00:00:00.000Z',
    );
  });

  it('replaces control characters, so an event cannot move the cursor or clear the screen', () => {
    const printed = formatEvent({ type: 'keygate.x', name: 'a\u001b[2Jb\nc' });
    expect([...printed].filter((ch) => ch.charCodeAt(0) < 0x20)).toEqual([]);
    expect(printed).toContain('name=a\ufffd[2Jb\ufffdc');
  });
});

describe('readEventsFrom', () => {
  it('reads complete lines from an offset, leaves a partial last line for later, and counts junk', async () => {
    // Prepare
    const path = eventsPath(home());
    writeFileSync(path, line(expiring) + 'not json\n' + line(created) + '{"type":"keygate.quota.warn');

    // Act
    const first = await readEventsFrom(path);
    appendFileSync(path, 'ing","keyId":"key_2"}\n');
    const second = await readEventsFrom(path, first.offset);

    // Assess
    expect(first.events).toEqual([expiring, created]);
    expect(first.skipped).toBe(1);
    expect(second.events).toEqual([{ type: 'keygate.quota.warning', keyId: 'key_2' }]);
  });

  it('starts over when the file was truncated, and says when it does not exist', async () => {
    const path = eventsPath(home());
    expect(await readEventsFrom(path)).toEqual({ events: [], offset: 0, skipped: 0, exists: false });
    writeFileSync(path, line(expiring) + line(created));
    const first = await readEventsFrom(path);
    writeFileSync(path, line(warning));
    expect((await readEventsFrom(path, first.offset)).events).toEqual([warning]);
  });
});

describe('followEvents', () => {
  it('prints lines appended after the start, as they come, until aborted', async () => {
    // Prepare: a file with one event already printed
    const path = eventsPath(home());
    writeFileSync(path, line(expiring));
    const { offset } = await readEventsFrom(path);
    const seen: KeygateEvent[] = [];
    const steps = stepper();
    const stop = new AbortController();

    // Act
    const following = followEvents({ path, offset, onEvent: (e) => seen.push(e), wait: steps.wait, signal: stop.signal });
    await steps.waiting();
    const beforeAppend = [...seen];
    appendFileSync(path, line(created));
    steps.step();
    await steps.waiting();
    const afterFirst = [...seen];
    appendFileSync(path, line(warning) + '{"type":"keygate.key.exp');
    steps.step();
    await steps.waiting();
    const afterSecond = [...seen];
    appendFileSync(path, 'ired","keyId":"key_3"}\n');
    steps.step();
    await steps.waiting();
    stop.abort();
    steps.step();
    await following;

    // Assess
    expect(beforeAppend).toEqual([]);
    expect(afterFirst).toEqual([created]);
    expect(afterSecond).toEqual([created, warning]);
    expect(seen).toEqual([created, warning, { type: 'keygate.key.expired', keyId: 'key_3' }]);
  });

  it('waits for a file that does not exist yet', async () => {
    const path = eventsPath(home());
    const seen: KeygateEvent[] = [];
    const steps = stepper();
    const stop = new AbortController();

    const following = followEvents({ path, onEvent: (e) => seen.push(e), wait: steps.wait, signal: stop.signal });
    await steps.waiting();
    writeFileSync(path, line(warning));
    steps.step();
    await steps.waiting();
    stop.abort();
    steps.step();
    await following;

    expect(seen).toEqual([warning]);
  });
});

describe('keygate events', () => {
  async function run(args: string[], h: string, follow?: { wait: () => Promise<void>; signal: AbortSignal }) {
    let stdout = '';
    let stderr = '';
    const code = await main(['node', 'keygate', ...args], {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      env: { KEYGATE_HOME: h },
      cwd: '/',
      ...(follow && { follow }),
    });
    return { code, stdout: () => stdout, stderr: () => stderr };
  }

  it('prints every event of <KEYGATE_HOME>/events.ndjson, one line each', async () => {
    const h = home();
    writeFileSync(eventsPath(h), line(expiring) + line(created));

    const r = await run(['events'], h);

    expect(r.code).toBe(0);
    expect(r.stdout()).toBe(formatEvent(expiring) + '\n' + formatEvent(created) + '\n');
  });

  it('filters with --type and prints JSON lines with --json', async () => {
    const h = home();
    writeFileSync(eventsPath(h), line(expiring) + line(created) + line(warning));

    const r = await run(['--json', 'events', '--type', 'key.'], h);

    expect(r.code).toBe(0);
    expect(r.stdout().trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([expiring]);
  });

  it('takes --home over KEYGATE_HOME and notes when there are no events yet', async () => {
    const h = home();
    const other = home();
    writeFileSync(eventsPath(other), line(warning));

    const none = await run(['events'], h);
    const some = await run(['events', '--home', other], h);

    expect(none.code).toBe(0);
    expect(none.stdout()).toBe('');
    expect(none.stderr()).toMatch(/^keygate: no events yet: .*events\.ndjson does not exist/);
    expect(some.stdout()).toBe(formatEvent(warning) + '\n');
  });

  it('--follow prints what is there, then each matching event appended, until stopped', async () => {
    // Prepare
    const h = home();
    writeFileSync(eventsPath(h), line(expiring) + line(created));
    const steps = stepper();
    const stop = new AbortController();

    // Act
    const r = await (async () => {
      const running = run(['events', '--follow', '--type', 'keygate.key', '--json'], h, { wait: steps.wait, signal: stop.signal });
      await steps.waiting();
      appendFileSync(eventsPath(h), line(warning) + line({ type: 'keygate.key.leaked', keyId: 'key_9' }));
      steps.step();
      await steps.waiting();
      stop.abort();
      steps.step();
      return running;
    })();

    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout().trim().split('\n').map((l) => (JSON.parse(l) as KeygateEvent).type)).toEqual(['keygate.key.expiring', 'keygate.key.leaked']);
  });

  it('rejects a bad --type as a usage error (exit 2)', async () => {
    const r = await run(['events', '--type', 'a b'], home());
    expect(r.code).toBe(2);
    expect(r.stderr()).toMatch(/^keygate: --type must be an event type/);
  });
});
