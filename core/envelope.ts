/**
 * Envelope encryption of sensitive record attributes: a data key from the DataKeyProvider
 * (KMS GenerateDataKey in AWS) encrypts with AES-256-GCM locally.
 *
 * Binding: the provider's encryption context is `{service, ownerId}` (so a data key can be
 * reused for one owner's records and cached), and the AES-GCM additional authenticated data
 * binds each ciphertext to its key id and owner: a sealed blob copied onto another record
 * fails to open.
 *
 * Caching is bounded both ways: a data key encrypts at most `maxMessagesPerDataKey` records
 * for at most `maxAgeMs`, and decrypted data keys are held in a bounded LRU.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LruCache } from './lru-cache';
import { type Clock, type DataKeyProvider, DependencyError } from './ports';

export interface SealBinding {
  readonly keyId: string;
  readonly ownerId: string;
}

export interface EnvelopeCipherOptions {
  readonly maxAgeMs?: number;
  readonly maxMessagesPerDataKey?: number;
  readonly maxCachedDataKeys?: number;
}

const FORMAT = 'kg1';

export class SealedDataError extends Error {
  override readonly name = 'SealedDataError';
}

export class EnvelopeCipher {
  private readonly encryptKeys = new LruCache<{ plaintext: Buffer; encrypted: Buffer; uses: number }>(256);
  private readonly decryptKeys: LruCache<Buffer>;
  private readonly maxAgeMs: number;
  private readonly maxMessages: number;

  constructor(
    private readonly provider: DataKeyProvider,
    private readonly clock: Clock,
    options: EnvelopeCipherOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.maxMessages = options.maxMessagesPerDataKey ?? 1000;
    this.decryptKeys = new LruCache<Buffer>(options.maxCachedDataKeys ?? 1000);
  }

  static context(ownerId: string): Record<string, string> {
    return { service: 'keygate', ownerId };
  }

  private static aad(b: SealBinding): Buffer {
    return Buffer.from(`keygate:${FORMAT}:${b.keyId}:${b.ownerId}`, 'utf8');
  }

  async seal(value: unknown, binding: SealBinding): Promise<string> {
    const nowMs = this.clock.now().getTime();
    let dk = this.encryptKeys.get(binding.ownerId, nowMs);
    if (!dk || dk.uses >= this.maxMessages) {
      const fresh = await this.provider.generateDataKey(EnvelopeCipher.context(binding.ownerId));
      dk = { plaintext: Buffer.from(fresh.plaintext), encrypted: Buffer.from(fresh.encrypted), uses: 0 };
      this.encryptKeys.set(binding.ownerId, dk, nowMs + this.maxAgeMs);
    }
    dk.uses++;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dk.plaintext, iv);
    cipher.setAAD(EnvelopeCipher.aad(binding));
    const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT, dk.encrypted, iv, ct, tag].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  async open(sealed: string, binding: SealBinding): Promise<unknown> {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new SealedDataError('unrecognised sealed data');
    const [, encKey, iv, ct, tag] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const nowMs = this.clock.now().getTime();
    const cacheKey = `${binding.ownerId}\u0000${parts[1]}`;
    let dataKey = this.decryptKeys.get(cacheKey, nowMs);
    if (!dataKey) {
      try {
        dataKey = Buffer.from(await this.provider.decryptDataKey(encKey, EnvelopeCipher.context(binding.ownerId)));
      } catch (err) {
        // An outage stays retryable; a key that will not unwrap (wrong owner, tampered) never will.
        if (err instanceof DependencyError && err.retryable) throw err;
        throw new SealedDataError('the data key of sealed data could not be unwrapped', { cause: err });
      }
      this.decryptKeys.set(cacheKey, dataKey, nowMs + this.maxAgeMs);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, iv);
      decipher.setAAD(EnvelopeCipher.aad(binding));
      decipher.setAuthTag(tag);
      const text = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      return JSON.parse(text);
    } catch (err) {
      throw new SealedDataError('sealed data failed authentication', { cause: err });
    }
  }
}
