/**
 * What each operation of core/routes.ts takes and answers, by schema (core/schemas.ts): the
 * OpenAPI document (core/api-contract.ts, core/openapi.ts), the typed client and the contract test
 * read it. Responses list the success statuses each handler really returns (lambdas/keys/app.ts,
 * lambdas/usage/app.ts); problem answers are documented from core/problem-codes.ts.
 *
 * Not for the authorizer: it pulls in @valibot/to-json-schema.
 */
import { type ConversionConfig, toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import type { Operation } from './routes';
import {
  AuditPage,
  AuditQuery,
  AuditVerifyQuery,
  AuditVerifyResult,
  CreatedKey,
  CreateKeyBody,
  Echo,
  Health,
  ImportKeysBody,
  ImportKeysResult,
  KeyIdPath,
  KeyPage,
  KeyUsageAnswer,
  KeyUsageQuery,
  KeyView,
  LeakReportAccepted,
  LeakReportBody,
  ListKeysQuery,
  OpenApiDocument,
  QueryRunning,
  RotatedKey,
  RotateKeyBody,
  ScopeList,
  TemplateList,
  UpdateKeyBody,
  UsageReport,
  UsageReportQuery,
  VerifyKeyBody,
  VerifyResult,
  Whoami,
} from './schemas';

export interface ResponseSchema {
  readonly description: string;
  /** Absent: no body. */
  readonly schema?: v.GenericSchema;
  /** Response headers beyond the rate-limit ones (core/openapi.ts documents each once). */
  readonly headers?: readonly string[];
}

export interface OperationSchemas {
  /** Object schema whose members are the query parameters (every value arrives as a string). */
  readonly query?: v.GenericSchema;
  readonly body?: v.GenericSchema;
  /** The body may be left out (POST /v1/keys/{id}/rotate). */
  readonly bodyOptional?: true;
  /** Object schema whose members are the path parameters of the route's template. */
  readonly pathParams?: v.GenericSchema;
  /** Success answers by status. */
  readonly responses: Readonly<Record<number, ResponseSchema>>;
}

const running: ResponseSchema = {
  description: 'The query is still running: ask again at Location (the same parameters plus queryId) after Retry-After seconds.',
  schema: QueryRunning,
  headers: ['Location', 'Retry-After'],
};

export const API_SCHEMAS: Readonly<Record<Operation, OperationSchemas>> = {
  health: { responses: { 200: { description: 'The service is up.', schema: Health } } },
  openApi: { responses: { 200: { description: 'The OpenAPI 3.1 document of this deployment.', schema: OpenApiDocument } } },
  createKey: {
    body: CreateKeyBody,
    responses: { 201: { description: 'The new key, with its plaintext (shown this once).', schema: CreatedKey, headers: ['Location'] } },
  },
  importKeys: {
    body: ImportKeysBody,
    responses: { 200: { description: 'What the import did (or, with dryRun, would do) for each row.', schema: ImportKeysResult } },
  },
  listKeys: { query: ListKeysQuery, responses: { 200: { description: 'A page of keys, newest first.', schema: KeyPage } } },
  getKey: {
    pathParams: KeyIdPath,
    responses: { 200: { description: 'The key; Link names its audit trail (rel="audit").', schema: KeyView, headers: ['Link'] } },
  },
  updateKey: { pathParams: KeyIdPath, body: UpdateKeyBody, responses: { 200: { description: 'The key as changed.', schema: KeyView } } },
  revokeKey: { pathParams: KeyIdPath, responses: { 200: { description: 'The revoked key (revoking a revoked key answers it unchanged).', schema: KeyView } } },
  rotateKey: {
    pathParams: KeyIdPath,
    body: RotateKeyBody,
    bodyOptional: true,
    responses: { 201: { description: 'The new key, with its plaintext (shown this once), and what became of the old one.', schema: RotatedKey, headers: ['Location'] } },
  },
  keyUsage: {
    pathParams: KeyIdPath,
    query: KeyUsageQuery,
    responses: { 200: { description: 'Live counters of the key’s limits; with from/to, its daily history too.', schema: KeyUsageAnswer }, 202: running },
  },
  usageReport: { query: UsageReportQuery, responses: { 200: { description: 'The report.', schema: UsageReport }, 202: running } },
  listAudit: { query: AuditQuery, responses: { 200: { description: 'A page of audit entries, newest first.', schema: AuditPage } } },
  verifyAudit: { query: AuditVerifyQuery, responses: { 200: { description: 'The verdict of each key checked.', schema: AuditVerifyResult } } },
  revokeLeaked: {
    body: LeakReportBody,
    responses: { 202: { description: 'Always the same answer, whether or not any presented string was a live key.', schema: LeakReportAccepted } },
  },
  verifyKey: { body: VerifyKeyBody, responses: { 200: { description: 'Whether the key is valid, and if not why (a refused key is not an error of the call).', schema: VerifyResult } } },
  listScopes: { responses: { 200: { description: 'Scopes this deployment defines.', schema: ScopeList } } },
  listTemplates: { responses: { 200: { description: 'Key templates POST /v1/keys can start from.', schema: TemplateList } } },
  whoami: { responses: { 200: { description: 'The calling key.', schema: Whoami } } },
  echo: { responses: { 200: { description: 'Who called, and how.', schema: Echo } } },
  // The web console's page and files: routes, not API operations (excludeFromDocument in core/routes.ts).
  consoleIndex: { responses: { 200: { description: 'The console page (text/html).' } } },
  consoleAsset: { responses: { 200: { description: 'A file of the console build (script, style, image).' } } },
};

/** JSON Schema (draft 2020-12 by default) of one schema; checks JSON Schema cannot express are left out, not fatal. */
export function jsonSchemaOf(schema: v.GenericSchema, config: ConversionConfig = {}): Record<string, unknown> {
  return toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore', ...config }) as Record<string, unknown>;
}
