/**
 * `KeygateClient`: one typed method per route of the Keygate API (named after the route's
 * operation), plus async iterators over the paginated lists.
 */
import { paginate } from './pagination.js';
import { pollUntilDone } from './poll.js';
import { routePath } from './routes.js';
import { Transport } from './transport.js';
import type {
  AuditEntry,
  AuditPage,
  AuditQuery,
  AuditVerifyQuery,
  AuditVerifyResult,
  CreatedKey,
  CreateKeyBody,
  Echo,
  Health,
  HistoryRange,
  ImportKeysBody,
  ImportKeysResult,
  KeygateClientOptions,
  KeyPage,
  KeyUsage,
  KeyUsageWithHistory,
  KeyView,
  LeakReportAccepted,
  ListKeysQuery,
  OpenApiDocument,
  Operation,
  PollOptions,
  RequestOptions,
  RotatedKey,
  RotateKeyBody,
  ScopeList,
  TemplateList,
  UpdateKeyBody,
  UsageReportBody,
  UsageReportQuery,
  VerifyKeyBody,
  VerifyKeyResult,
  Whoami,
} from './types.js';

type QueryValues = Readonly<Record<string, string | number | boolean | undefined | null>>;

interface Call {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: object;
  readonly body?: unknown;
  readonly options?: RequestOptions;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class KeygateClient {
  readonly #transport: Transport;

  /** Iterators over every key and every audit entry a query selects, following `nextCursor`. */
  readonly keys: { readonly listAll: (query?: Omit<ListKeysQuery, 'cursor'>, options?: RequestOptions) => AsyncGenerator<KeyView, void, undefined> };
  readonly audit: { readonly listAll: (query?: Omit<AuditQuery, 'cursor'>, options?: RequestOptions) => AsyncGenerator<AuditEntry, void, undefined> };

  constructor(options: KeygateClientOptions) {
    this.#transport = new Transport(options);
    this.keys = Object.freeze({
      listAll: (query: Omit<ListKeysQuery, 'cursor'> = {}, options?: RequestOptions) => paginate((q: ListKeysQuery) => this.listKeys(q, options), { ...query }),
    });
    this.audit = Object.freeze({
      listAll: (query: Omit<AuditQuery, 'cursor'> = {}, options?: RequestOptions) => paginate((q: AuditQuery) => this.listAudit(q, options), { ...query }),
    });
  }

  /** The endpoint as it is safe to show (no key is ever part of it). */
  get endpoint(): string {
    return this.#transport.shown;
  }

  /**
   * Calls any operation and returns the parsed JSON body. The typed methods below are this with
   * their types; use it for what they do not cover yet.
   */
  async request<T>(operation: Operation, call: Call = {}): Promise<T> {
    const { method, path, authorized } = routePath(operation, call.params);
    const url = this.#transport.url(path, (call.query ?? {}) as QueryValues);
    const answer = await this.#transport.send(method, url, { body: call.body, authorized, options: call.options });
    return answer.body as T;
  }

  /** `GET /health` (no key sent). */
  health(options?: RequestOptions): Promise<Health> {
    return this.request('health', { options });
  }

  /** `GET /v1/openapi.json` (no key sent). */
  openApi(options?: RequestOptions): Promise<OpenApiDocument> {
    return this.request('openApi', { options });
  }

  /** `POST /v1/keys`. The answer's `key` is the plaintext, sent this once: store it, never log it. */
  createKey(body: CreateKeyBody, options?: RequestOptions): Promise<CreatedKey> {
    return this.request('createKey', { body, options });
  }

  /** `POST /v1/keys/import` (admin). */
  importKeys(body: ImportKeysBody, options?: RequestOptions): Promise<ImportKeysResult> {
    return this.request('importKeys', { body, options });
  }

  /** `GET /v1/keys`: one page, newest first. */
  listKeys(query: ListKeysQuery = {}, options?: RequestOptions): Promise<KeyPage> {
    return this.request('listKeys', { query, options });
  }

  /** `GET /v1/keys/{id}` */
  getKey(id: string, options?: RequestOptions): Promise<KeyView> {
    return this.request('getKey', { params: { id }, options });
  }

  /** `PATCH /v1/keys/{id}`: only the fields given change; `null` clears one. */
  updateKey(id: string, body: UpdateKeyBody, options?: RequestOptions): Promise<KeyView> {
    return this.request('updateKey', { params: { id }, body, options });
  }

  /** `DELETE /v1/keys/{id}`: revokes at once (idempotent). */
  revokeKey(id: string, options?: RequestOptions): Promise<KeyView> {
    return this.request('revokeKey', { params: { id }, options });
  }

  /** `POST /v1/keys/{id}/rotate`: the replacement's plaintext is in `key`, sent this once. */
  rotateKey(id: string, body: RotateKeyBody = {}, options?: RequestOptions): Promise<RotatedKey> {
    return this.request('rotateKey', { params: { id }, body, options });
  }

  /**
   * `GET /v1/keys/{id}/usage`: live rate-limit and quota counters; with `from`/`to`, the daily
   * history too (a usage query: `202 running` answers are followed, see {@link PollOptions}).
   */
  keyUsage(id: string, range?: undefined, options?: RequestOptions): Promise<KeyUsage>;
  keyUsage(id: string, range: HistoryRange, options?: PollOptions): Promise<KeyUsageWithHistory>;
  async keyUsage(id: string, range?: HistoryRange, options?: PollOptions): Promise<KeyUsage | KeyUsageWithHistory> {
    const { method, path } = routePath('keyUsage', { id });
    const query = range ? { from: range.from, to: range.to, queryId: range.queryId } : {};
    return pollUntilDone(this.#transport, method, this.#transport.url(path, query), options);
  }

  /** `GET /v1/usage`: a usage report; `202 running` answers are followed. */
  async usageReport(query: UsageReportQuery = {}, options?: PollOptions): Promise<UsageReportBody> {
    const { method, path } = routePath('usageReport');
    return pollUntilDone(this.#transport, method, this.#transport.url(path, { ...query }), options);
  }

  /** `GET /v1/audit`: one page, newest first. */
  listAudit(query: AuditQuery = {}, options?: RequestOptions): Promise<AuditPage> {
    return this.request('listAudit', { query, options });
  }

  /** `GET /v1/audit/verify`: one key's chain, or a page of keys. */
  verifyAudit(query: AuditVerifyQuery = {}, options?: RequestOptions): Promise<AuditVerifyResult> {
    return this.request('verifyAudit', { query, options });
  }

  /** `POST /v1/keys/revoke-leaked`: no API key is sent; the presented keys are the authority. */
  revokeLeaked(keys: readonly string[], options?: RequestOptions): Promise<LeakReportAccepted> {
    return this.request('revokeLeaked', { body: { keys }, options });
  }

  /** `POST /v1/verify`: whether a key your backend received is good for the scopes given. Counts against its limits. */
  verifyKey(body: VerifyKeyBody, options?: RequestOptions): Promise<VerifyKeyResult> {
    return this.request('verifyKey', { body, options });
  }

  /** `GET /v1/scopes` */
  listScopes(options?: RequestOptions): Promise<ScopeList> {
    return this.request('listScopes', { options });
  }

  /** `GET /v1/templates` */
  listTemplates(options?: RequestOptions): Promise<TemplateList> {
    return this.request('listTemplates', { options });
  }

  /** `GET /v1/whoami`: the calling key. */
  whoami(options?: RequestOptions): Promise<Whoami> {
    return this.request('whoami', { options });
  }

  /** `GET /v1/echo`: the sample protected route. */
  echo(options?: RequestOptions): Promise<Echo> {
    return this.request('echo', { options });
  }

  toString(): string {
    return `KeygateClient(${this.#transport.shown})`;
  }

  toJSON(): { readonly endpoint: string } {
    return { endpoint: this.#transport.shown };
  }

  [INSPECT](): string {
    return `KeygateClient { endpoint: '${this.#transport.shown}' }`;
  }
}
