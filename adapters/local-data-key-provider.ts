/**
 * Local stand-in for KMS (no KMS emulator here): data keys are wrapped with AES-256-GCM
 * under a master key kept in `<KEYGATE_HOME>/master.key` (mode 0600), with the encryption
 * context as additional authenticated data — the same contract KMS gives.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataKeyProvider } from '../core/ports';

function contextAad(context: Readonly<Record<string, string>>): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((k) => [k, context[k]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

export class LocalDataKeyProvider implements DataKeyProvider {
  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new RangeError('the local master key must be 32 bytes');
  }

  /** Loads `<home>/master.key`, creating it (0600) on first use. */
  static fromHome(home: string): LocalDataKeyProvider {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const path = join(home, 'master.key');
    if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    return new LocalDataKeyProvider(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }

  async generateDataKey(context: Readonly<Record<string, string>>): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array }> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.masterKey, iv);
    c.setAAD(contextAad(context));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return { plaintext, encrypted: Buffer.concat([iv, c.getAuthTag(), ct]) };
  }

  async decryptDataKey(encrypted: Uint8Array, context: Readonly<Record<string, string>>): Promise<Uint8Array> {
    const buf = Buffer.from(encrypted);
    const d = createDecipheriv('aes-256-gcm', this.masterKey, buf.subarray(0, 12));
    d.setAAD(contextAad(context));
    d.setAuthTag(buf.subarray(12, 28));
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]);
  }
}
