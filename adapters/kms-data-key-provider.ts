/** DataKeyProvider on AWS KMS (used by the keys Lambda only; the authorizer never calls KMS). */
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DependencyError, type DataKeyProvider } from '../core/ports';

/** Throttling, 5xx and network errors can succeed on retry; bad ciphertext, access denied or a disabled key cannot. */
export function isRetryableKmsError(err: unknown): boolean {
  const e = err as { name?: string; $fault?: string; $retryable?: unknown };
  if (e.$retryable !== undefined || e.$fault === 'server') return true;
  return /Throttl|Timeout|KMSInternal|DependencyTimeout|ECONN|socket|NetworkingError/i.test(e.name ?? '');
}

export class KmsDataKeyProvider implements DataKeyProvider {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async generateDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array }> {
    try {
      const out = await this.kms.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
      );
      if (!out.Plaintext || !out.CiphertextBlob) throw new Error('GenerateDataKey returned no key');
      return { plaintext: out.Plaintext, encrypted: out.CiphertextBlob };
    } catch (err) {
      throw new DependencyError('KMS GenerateDataKey failed', isRetryableKmsError(err), { cause: err });
    }
  }

  async decryptDataKey(encrypted: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array> {
    try {
      const out = await this.kms.send(
        new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: encrypted, EncryptionContext: { ...context } }),
      );
      if (!out.Plaintext) throw new Error('Decrypt returned no key');
      return out.Plaintext;
    } catch (err) {
      throw new DependencyError('KMS Decrypt failed', isRetryableKmsError(err), { cause: err });
    }
  }
}
