/**
 * Counts what the real code sends to DynamoDB by wrapping a document client's `send`.
 * Only the counting phases use wrapped clients; the latency phases use plain ones.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

export interface CallCounts {
  /** GetItem, Query, Scan, BatchGet, TransactGet calls. */
  readonly reads: number;
  /** UpdateItem, PutItem, DeleteItem, TransactWriteItems, BatchWriteItem calls (failed conditional ones included). */
  readonly writes: number;
  /** Writes that DynamoDB refused on their condition (they still consume write capacity). */
  readonly failedConditionalWrites: number;
  readonly byCommand: Readonly<Record<string, number>>;
}

export class CallCounter {
  private reads = 0;
  private writes = 0;
  private failedConditionalWrites = 0;
  private byCommand: Record<string, number> = {};
  private pending = 0;

  /** Requests sent and not yet answered (background writes included). */
  get inFlight(): number {
    return this.pending;
  }

  snapshot(): CallCounts {
    return { reads: this.reads, writes: this.writes, failedConditionalWrites: this.failedConditionalWrites, byCommand: { ...this.byCommand } };
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
    this.failedConditionalWrites = 0;
    this.byCommand = {};
  }

  /** Resolves once nothing is in flight (bounded: gives up after `timeoutMs`). */
  async settle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (this.pending > 0) throw new Error(`${this.pending} DynamoDB requests still in flight after ${timeoutMs} ms`);
  }

  /** Replaces `doc.send` with a counting wrapper around the original. */
  attach(doc: DynamoDBDocumentClient): void {
    const original = doc.send.bind(doc) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
    const wrapped = async (command: unknown, ...rest: unknown[]): Promise<unknown> => {
      const name = (command as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      this.byCommand[name] = (this.byCommand[name] ?? 0) + 1;
      const isWrite =
        command instanceof UpdateCommand ||
        command instanceof PutCommand ||
        command instanceof DeleteCommand ||
        command instanceof TransactWriteCommand ||
        command instanceof BatchWriteCommand;
      const isRead =
        command instanceof GetCommand ||
        command instanceof QueryCommand ||
        command instanceof ScanCommand ||
        command instanceof BatchGetCommand ||
        command instanceof TransactGetCommand;
      if (isWrite) this.writes++;
      if (isRead) this.reads++;
      this.pending++;
      try {
        return await original(command, ...rest);
      } catch (err) {
        const errName = (err as { name?: string }).name;
        if (isWrite && (errName === 'ConditionalCheckFailedException' || errName === 'TransactionCanceledException')) this.failedConditionalWrites++;
        throw err;
      } finally {
        this.pending--;
      }
    };
    (doc as unknown as { send: typeof wrapped }).send = wrapped;
  }
}
