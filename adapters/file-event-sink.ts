/** Local stand-in for EventBridge: appends each event as one JSON line and logs it. */
import { appendFile } from 'node:fs/promises';
import type { EventSink, Logger } from '../core/ports';

export class FileEventSink implements EventSink {
  constructor(
    private readonly path: string,
    private readonly logger?: Logger,
  ) {}

  async publish(event: { readonly type: string; readonly [field: string]: unknown }): Promise<void> {
    // warn: the local stack logs at warn and above, and these are what a developer wants to see
    this.logger?.log('warn', 'event', { ...event });
    await appendFile(this.path, JSON.stringify(event) + '\n', { mode: 0o600 });
  }
}
