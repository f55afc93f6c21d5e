/**
 * packages/client/src/openapi.ts: TypeScript types for every schema, path and operation of
 * the OpenAPI document, generated with openapi-typescript (immutable, so responses are
 * readonly). The client's public types (packages/client/src/types.ts) are aliases of these,
 * so the client cannot drift from the schemas the service validates with.
 */
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '../core/api-contract';

const HEADER = `/**
 * Generated from docs/openapi.json by tools/client-types.ts (openapi-typescript). Do not edit:
 * run \`npm run docs:generate\`.
 */
`;

export async function renderClientTypes(): Promise<string> {
  const ast = await openapiTS(openApiDocument() as never, { immutable: true, alphabetize: true, defaultNonNullable: false });
  return HEADER + astToString(ast);
}
