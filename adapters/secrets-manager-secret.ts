/**
 * A Secrets Manager secret string read once and kept for `maxAgeMs`, so a warm Lambda container
 * signs without a Secrets Manager call per event, and a value put by an operator (rotation by
 * hand, docs/webhooks.md) is picked up within that time without a deploy. Concurrent callers share
 * one request; a failed read is not cached.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyError } from '../core/ports';

/** Secrets Manager reads: idempotent, so retried; short timeouts (the webhook Lambda's budget is 30 s). */
export const SECRETS_CLIENT_PROFILE = { maxAttempts: 3, requestTimeoutMs: 2000, connectionTimeoutMs: 1000 } as const;

export class CachedSecret {
  private cached?: { value: Promise<string>; at: number };

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  value(): Promise<string> {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.maxAgeMs) return this.cached.value;
    const value = this.read();
    const entry = { value, at: now };
    this.cached = entry;
    value.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return value;
  }

  private async read(): Promise<string> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    } catch (err) {
      throw new DependencyError('Secrets Manager GetSecretValue failed', true, { cause: err });
    }
    if (!out.SecretString) throw new DependencyError('the webhook secret has no string value', false);
    return out.SecretString;
  }
}
