import { DecryptCommand, GenerateDataKeyCommand, KMSClient, KMSInvalidStateException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmsDataKeyProvider } from '../../adapters/kms-data-key-provider';
import { EnvelopeCipher } from '../../core/envelope';
import { DependencyError } from '../../core/ports';

const KEY_ID = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CONTEXT = { service: 'keygate', ownerId: 'owner-1' };
const DATA_KEY = new Uint8Array(32).fill(7);
const WRAPPED = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

const kms = mockClient(KMSClient);

function provider(): KmsDataKeyProvider {
  return new KmsDataKeyProvider(new KMSClient({ region: 'eu-west-1' }), KEY_ID);
}

beforeEach(() => kms.reset());
afterEach(() => kms.reset());

describe('KmsDataKeyProvider', () => {
  it('sends exactly one GenerateDataKey with the key, AES_256 and the encryption context', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: DATA_KEY, CiphertextBlob: WRAPPED, KeyId: KEY_ID });
    const out = await provider().generateDataKey(CONTEXT);
    expect(out).toEqual({ plaintext: DATA_KEY, encrypted: WRAPPED });
    expect(kms.calls()).toHaveLength(1);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { service: 'keygate', ownerId: 'owner-1' },
    });
  });

  it('sends exactly one Decrypt with the key, the wrapped key and the encryption context', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: DATA_KEY, KeyId: KEY_ID });
    const out = await provider().decryptDataKey(WRAPPED, CONTEXT);
    expect(out).toEqual(DATA_KEY);
    expect(kms.calls()).toHaveLength(1);
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input).toEqual({
      KeyId: KEY_ID,
      CiphertextBlob: WRAPPED,
      EncryptionContext: { service: 'keygate', ownerId: 'owner-1' },
    });
  });

  it('turns a key pending deletion on GenerateDataKey into a non-retryable DependencyError keeping the cause', async () => {
    const cause = new KMSInvalidStateException({ message: 'key is pending deletion', $metadata: {} });
    kms.on(GenerateDataKeyCommand).rejects(cause);
    const err = await provider().generateDataKey(CONTEXT).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DependencyError);
    expect(err).toMatchObject({ retryable: false, message: 'KMS GenerateDataKey failed' });
    expect((err as Error).cause).toBe(cause);
  });

  it('turns KMS throttling on Decrypt into a retryable DependencyError', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    kms.on(DecryptCommand).rejects(throttled);
    await expect(provider().decryptDataKey(WRAPPED, CONTEXT)).rejects.toMatchObject({
      name: 'DependencyError',
      retryable: true,
      message: 'KMS Decrypt failed',
    });
  });

  it('rejects a GenerateDataKey answer without a key as a DependencyError', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ CiphertextBlob: WRAPPED });
    await expect(provider().generateDataKey(CONTEXT)).rejects.toBeInstanceOf(DependencyError);
  });

  it('rejects a Decrypt answer without a key as a DependencyError', async () => {
    kms.on(DecryptCommand).resolves({});
    await expect(provider().decryptDataKey(WRAPPED, CONTEXT)).rejects.toBeInstanceOf(DependencyError);
  });

  it('lets an EnvelopeCipher round-trip with the data key KMS returns', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: DATA_KEY, CiphertextBlob: WRAPPED });
    kms.on(DecryptCommand).resolves({ Plaintext: DATA_KEY });
    const clock = { now: () => new Date('2025-06-01T00:00:00Z') };
    const binding = { keyId: 'key_A', ownerId: 'owner-1' };

    const sealed = await new EnvelopeCipher(provider(), clock).seal({ description: 'secret text' }, binding);
    expect(sealed).not.toContain('secret text');
    expect(sealed.split('.')[1]).toBe(Buffer.from(WRAPPED).toString('base64url'));

    // A second cipher has no cached data key: it must ask KMS to decrypt the wrapped one.
    expect(await new EnvelopeCipher(provider(), clock).open(sealed, binding)).toEqual({ description: 'secret text' });
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    const decrypts = kms.commandCalls(DecryptCommand);
    expect(decrypts).toHaveLength(1);
    // The cipher hands KMS the wrapped key it decoded from the sealed text (a Buffer of the same bytes).
    expect(decrypts[0]!.args[0].input).toEqual({ KeyId: KEY_ID, CiphertextBlob: Buffer.from(WRAPPED), EncryptionContext: CONTEXT });
  });

  it('rejects opening when KMS returns a different data key', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: DATA_KEY, CiphertextBlob: WRAPPED });
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(9) });
    const clock = { now: () => new Date('2025-06-01T00:00:00Z') };
    const binding = { keyId: 'key_A', ownerId: 'owner-1' };
    const sealed = await new EnvelopeCipher(provider(), clock).seal({ a: 1 }, binding);
    await expect(new EnvelopeCipher(provider(), clock).open(sealed, binding)).rejects.toMatchObject({ name: 'SealedDataError' });
  });
});
