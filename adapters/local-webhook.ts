/**
 * Local webhook settings (docs/webhooks.md, "Local use"): with `KEYGATE_WEBHOOK_URL` set, the
 * local stack POSTs notification events signed like the deployed webhook.
 *
 * The secret is `KEYGATE_WEBHOOK_SECRET` when set. Otherwise it is generated once (32 random
 * bytes, base64url) into `<home>/webhook.secret` with mode 0600 and reused on every later start,
 * so a receiver configured once keeps verifying across restarts; the path (never the value) is
 * logged so the developer knows where to copy it from. The file sits beside `admin.key` and gets
 * the same protection.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventSink, Logger } from '../core/ports';
import { WEBHOOK_ENV } from '../core/webhook-signature';
import { WebhookForwardingSink } from './webhook-forwarding-sink';
import { WebhookSink, type WebhookSinkOptions } from './webhook-sink';

const WEBHOOK_URL_ENV = WEBHOOK_ENV.url;
const WEBHOOK_SECRET_ENV = WEBHOOK_ENV.secret;

export const webhookSecretPath = (home: string): string => join(home, 'webhook.secret');

type Env = Readonly<Record<string, string | undefined>>;

/** The local signing secret and where it came from. */
export function localWebhookSecret(home: string, env: Env, logger?: Logger): { secret: string; source: string } {
  const fromEnv = env[WEBHOOK_SECRET_ENV]?.trim();
  if (fromEnv) return { secret: fromEnv, source: WEBHOOK_SECRET_ENV };
  const path = webhookSecretPath(home);
  try {
    // 'wx': only the first start writes it, even when two start at once.
    writeFileSync(path, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    logger?.log('warn', 'webhook signing secret generated', { path });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if ((statSync(path).mode & 0o077) !== 0) logger?.log('warn', 'webhook secret file is readable by others: chmod 600 it', { path });
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (secret === '') throw new Error(`${path} is empty: delete it to generate a new secret, or set ${WEBHOOK_SECRET_ENV}`);
  return { secret, source: path };
}

/**
 * `primary` alone when `KEYGATE_WEBHOOK_URL` is unset; otherwise a {@link WebhookForwardingSink}
 * that also sends the notification events to the webhook, signed.
 */
export function withLocalWebhook(
  primary: EventSink,
  opts: { home: string; env?: Env; logger?: Logger; sink?: Partial<Omit<WebhookSinkOptions, 'url' | 'secret'>> },
): EventSink & { flush?: (boundMs?: number) => Promise<boolean> } {
  const env = opts.env ?? process.env;
  const url = env[WEBHOOK_URL_ENV]?.trim();
  if (!url) return primary;
  const { secret, source } = localWebhookSecret(opts.home, env, opts.logger);
  const webhook = new WebhookSink({ url, secret, ...(opts.logger ? { logger: opts.logger } : {}), ...opts.sink });
  opts.logger?.log('warn', 'webhook delivery on', { receiver: new URL(url).origin, secretFrom: source });
  return new WebhookForwardingSink(primary, webhook, opts.logger ? { logger: opts.logger } : {});
}
