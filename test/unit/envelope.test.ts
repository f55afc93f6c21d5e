import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LocalDataKeyProvider } from '../../adapters/local-data-key-provider';
import { EnvelopeCipher, type EnvelopeCipherOptions, SealedDataError } from '../../core/envelope';
import type { Clock, DataKeyProvider } from '../../core/ports';

/** Wraps a real provider and records each call's context (a fake, not a mock library). */
class CountingProvider implements DataKeyProvider {
  readonly generated: Record<string, string>[] = [];
  readonly decrypted: Record<string, string>[] = [];
  constructor(private readonly inner: DataKeyProvider) {}

  async generateDataKey(context: Readonly<Record<string, string>>) {
    this.generated.push({ ...context });
    return this.inner.generateDataKey(context);
  }

  async decryptDataKey(encrypted: Uint8Array, context: Readonly<Record<string, string>>) {
    this.decrypted.push({ ...context });
    return this.inner.decryptDataKey(encrypted, context);
  }
}

class ManualClock implements Clock {
  constructor(private ms = Date.parse('2025-06-01T12:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

function setup(options: EnvelopeCipherOptions = {}) {
  const provider = new CountingProvider(new LocalDataKeyProvider(randomBytes(32)));
  const clock = new ManualClock();
  const cipher = new EnvelopeCipher(provider, clock, options);
  return { provider, clock, cipher };
}

const A = { keyId: 'key_A', ownerId: 'owner-1' };
const VALUE = { description: 'Payroll integration for Jane Doe', metadata: { email: 'jane@example.com', n: 3, nested: [true, null] } };

/** Flips one bit of the n-th dot-separated part (base64url) of a sealed string. */
function tamperPart(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('EnvelopeCipher', () => {
  it('round-trips a value through seal and open', async () => {
    const { cipher } = setup();
    const sealed = await cipher.seal(VALUE, A);
    expect(await cipher.open(sealed, A)).toEqual(VALUE);
  });

  it('opens with a fresh cipher over the same provider (nothing needed from the sealing instance)', async () => {
    const provider = new LocalDataKeyProvider(randomBytes(32));
    const sealed = await new EnvelopeCipher(provider, new ManualClock()).seal(VALUE, A);
    expect(await new EnvelopeCipher(provider, new ManualClock()).open(sealed, A)).toEqual(VALUE);
  });

  it('writes the kg1 format with five parts and no plaintext', async () => {
    const { cipher } = setup();
    const sealed = await cipher.seal(VALUE, A);
    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed.startsWith('kg1.')).toBe(true);
    expect(sealed).not.toContain('Jane');
    expect(sealed).not.toContain('jane@example.com');
    expect(sealed).not.toContain(Buffer.from('Jane Doe').toString('base64url'));
  });

  it('gives different ciphertexts for the same value (fresh IV each time)', async () => {
    const { cipher } = setup();
    const a = await cipher.seal(VALUE, A);
    const b = await cipher.seal(VALUE, A);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('rejects opening with a different keyId (the blob is bound to its record)', async () => {
    const { cipher } = setup();
    const sealed = await cipher.seal(VALUE, A);
    await expect(cipher.open(sealed, { ...A, keyId: 'key_B' })).rejects.toBeInstanceOf(SealedDataError);
  });

  it('rejects opening with a different ownerId', async () => {
    const { cipher } = setup();
    const sealed = await cipher.seal(VALUE, A);
    await expect(cipher.open(sealed, { ...A, ownerId: 'owner-2' })).rejects.toThrow();
  });

  // Known bug (reported): the provider's failure to unwrap the data key under another owner's
  // encryption context escapes open() unwrapped (a plain Error locally, a retryable
  // DependencyError on KMS). Turn this into a plain `it` once open() wraps it.
  it('rejects opening with a different ownerId as SealedDataError', async () => {
    const { cipher } = setup();
    const sealed = await cipher.seal(VALUE, A);
    await expect(cipher.open(sealed, { ...A, ownerId: 'owner-2' })).rejects.toBeInstanceOf(SealedDataError);
  });

  it.each([
    ['ciphertext', 3],
    ['authentication tag', 4],
    ['IV', 2],
  ])('rejects a tampered %s', async (_what, index) => {
    const { cipher } = setup();
    const sealed = await cipher.seal(VALUE, A);
    await expect(cipher.open(tamperPart(sealed, index), A)).rejects.toBeInstanceOf(SealedDataError);
  });

  it.each([
    ['another format tag', (s: string) => s.replace(/^kg1\./, 'kg2.')],
    ['a missing part', (s: string) => s.split('.').slice(0, 4).join('.')],
    ['an extra part', (s: string) => `${s}.AAAA`],
    ['an empty string', () => ''],
  ])('rejects sealed data with %s', async (_what, mangle) => {
    const { cipher, provider } = setup();
    const sealed = await cipher.seal(VALUE, A);
    await expect(cipher.open(mangle(sealed), A)).rejects.toBeInstanceOf(SealedDataError);
    expect(provider.decrypted).toHaveLength(0);
  });

  it('reuses one data key for several seals of the same owner', async () => {
    const { cipher, provider } = setup();
    const sealed = [await cipher.seal(1, A), await cipher.seal(2, { keyId: 'key_B', ownerId: A.ownerId }), await cipher.seal(3, A)];
    expect(provider.generated).toEqual([{ service: 'keygate', ownerId: 'owner-1' }]);
    const wrapped = new Set(sealed.map((s) => s.split('.')[1]));
    expect(wrapped.size).toBe(1);
  });

  it('does not share a data key across owners', async () => {
    const { cipher, provider } = setup();
    const a = await cipher.seal(1, A);
    const b = await cipher.seal(1, { keyId: 'key_A', ownerId: 'owner-2' });
    expect(provider.generated).toEqual([
      { service: 'keygate', ownerId: 'owner-1' },
      { service: 'keygate', ownerId: 'owner-2' },
    ]);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('generates a new data key once maxMessagesPerDataKey seals have used one', async () => {
    const { cipher, provider } = setup({ maxMessagesPerDataKey: 2 });
    const sealed: string[] = [];
    for (let i = 0; i < 5; i++) sealed.push(await cipher.seal(i, A));
    expect(provider.generated).toHaveLength(3);
    const wrapped = sealed.map((s) => s.split('.')[1]);
    expect(wrapped[0]).toBe(wrapped[1]);
    expect(wrapped[1]).not.toBe(wrapped[2]);
    expect(wrapped[2]).toBe(wrapped[3]);
    expect(wrapped[3]).not.toBe(wrapped[4]);
    for (let i = 0; i < 5; i++) expect(await cipher.open(sealed[i]!, A)).toBe(i);
  });

  it('generates a new data key once maxAgeMs has passed', async () => {
    const { cipher, provider, clock } = setup({ maxAgeMs: 1000 });
    await cipher.seal(1, A);
    clock.advance(999);
    await cipher.seal(2, A);
    expect(provider.generated).toHaveLength(1);
    clock.advance(1);
    await cipher.seal(3, A);
    expect(provider.generated).toHaveLength(2);
  });

  it('caches decrypted data keys: repeated opens call decryptDataKey once', async () => {
    const { cipher, provider } = setup();
    const one = await cipher.seal({ n: 1 }, A);
    const two = await cipher.seal({ n: 2 }, A);
    expect(await cipher.open(one, A)).toEqual({ n: 1 });
    expect(await cipher.open(one, A)).toEqual({ n: 1 });
    expect(await cipher.open(two, A)).toEqual({ n: 2 });
    expect(provider.decrypted).toEqual([{ service: 'keygate', ownerId: 'owner-1' }]);
  });

  it('decrypts the data key again once the cached copy is older than maxAgeMs', async () => {
    const { cipher, provider, clock } = setup({ maxAgeMs: 1000 });
    const sealed = await cipher.seal(VALUE, A);
    await cipher.open(sealed, A);
    clock.advance(1000);
    await cipher.open(sealed, A);
    expect(provider.decrypted).toHaveLength(2);
  });
});
