/**
 * The verification snippets in docs/webhooks.md, run as written (Node in a child process, Python
 * with python3 when it is installed) against requests signed by core/webhook-signature.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sign, verify, webhookBody } from '../../core/webhook-signature';

const DOC = readFileSync(fileURLToPath(new URL('../../docs/webhooks.md', import.meta.url)), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'keygate-snippets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function snippet(marker: string): string {
  const m = new RegExp(`<!-- snippet:${marker} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\\n\`\`\``).exec(DOC);
  if (!m) throw new Error(`docs/webhooks.md has no snippet:${marker} block`);
  return m[1]!;
}

const SECRET = 'Xy7generatedSecretValue0123456789';
const NOW = 1_800_000_000;
const BODY = webhookBody({ id: 'evt_1', type: 'keygate.key.expiring', time: '2027-01-15T08:00:00Z', detail: { keyId: 'key_1', name: 'bïlling ✓' } });
const good = sign(SECRET, BODY, NOW - 10);

/** Each case with what Keygate's own verify() says, which the snippets must agree with. */
const CASES = [
  { name: 'valid', secret: SECRET, body: BODY, header: good, now: NOW },
  { name: 'tampered body', secret: SECRET, body: BODY.replace('key_1', 'key_2'), header: good, now: NOW },
  { name: 'other secret', secret: 'another-secret', body: BODY, header: good, now: NOW },
  { name: 'stale', secret: SECRET, body: BODY, header: good, now: NOW + 400 },
  { name: 'from the future', secret: SECRET, body: BODY, header: sign(SECRET, BODY, NOW + 301), now: NOW },
  { name: 'two v1, second matches', secret: SECRET, body: BODY, header: `t=${NOW},v1=${'0'.repeat(64)},v1=${sign(SECRET, BODY, NOW).split('v1=')[1]}`, now: NOW },
  { name: 'no t', secret: SECRET, body: BODY, header: good.replace(/t=\d+,/, ''), now: NOW },
  { name: 'no v1', secret: SECRET, body: BODY, header: `t=${NOW}`, now: NOW },
  { name: 'garbage', secret: SECRET, body: BODY, header: 'hello', now: NOW },
  { name: 'short v1', secret: SECRET, body: BODY, header: `t=${NOW},v1=abcd`, now: NOW },
].map((c) => ({ ...c, expected: verify(c.secret, c.body, c.header, c.now).kind === 'ok' }));

describe('docs/webhooks.md verification snippets', () => {
  it('cover both outcomes (the cases are not all accepted or all refused)', () => {
    expect(CASES.filter((c) => c.expected).map((c) => c.name)).toEqual(['valid', 'two v1, second matches']);
  });

  it('Node.js snippet agrees with Keygate on every case', () => {
    // Prepare: the snippet as a module, and a driver that feeds it the cases
    writeFileSync(join(dir, 'verify.mjs'), snippet('node'));
    writeFileSync(
      join(dir, 'driver.mjs'),
      `import { verifyKeygateSignature } from './verify.mjs';
const cases = JSON.parse(process.argv[2]);
console.log(JSON.stringify(cases.map((c) => verifyKeygateSignature(c.secret, Buffer.from(c.body, 'utf8'), c.header, 300, c.now))));`,
    );

    // Act
    const out = execFileSync(process.execPath, [join(dir, 'driver.mjs'), JSON.stringify(CASES)], { encoding: 'utf8' });

    // Assess
    expect(JSON.parse(out)).toEqual(CASES.map((c) => c.expected));
  });

  const python = spawnSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 10)']).status === 0;
  it.skipIf(!python)('Python snippet agrees with Keygate on every case', () => {
    writeFileSync(
      join(dir, 'driver.py'),
      `${snippet('python')}

import json, sys
cases = json.loads(sys.argv[1])
print(json.dumps([verify_keygate_signature(c["secret"], c["body"].encode("utf-8"), c["header"], 300, c["now"]) for c in cases]))
`,
    );

    const out = execFileSync('python3', [join(dir, 'driver.py'), JSON.stringify(CASES)], { encoding: 'utf8' });

    expect(JSON.parse(out)).toEqual(CASES.map((c) => c.expected));
  });
});
