/**
 * Client-facing errors as RFC 9457 problem details with a stable `code`. The domain
 * throws `ProblemError` for requests it refuses; the edge serialises it. Faults (a
 * database down, a bug) are other errors and become a generic 5xx at the edge.
 */

import type { FieldErrorCode, ProblemCode } from './problem-codes';

export type { FieldErrorCode, ProblemCode } from './problem-codes';

export interface FieldError {
  readonly field: string;
  readonly message: string;
  /** Set for the input rules in docs/api.md ("Input rules"), e.g. `bidi_control`; stable for clients to branch on. Catalogued in core/problem-codes.ts. */
  readonly code?: FieldErrorCode;
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly requestId?: string;
  readonly [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly status: number,
    /** Catalogued in core/problem-codes.ts: an uncatalogued code does not compile. */
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: readonly FieldError[],
    /** Response headers that belong to this answer (Retry-After on a 429). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(`${status} ${code}: ${detail}`);
  }

  toBody(requestId?: string): ProblemBody {
    return problemBody(this.status, this.code, this.detail, { errors: this.errors, requestId });
  }
}

export function problemBody(
  status: number,
  code: ProblemCode,
  detail: string,
  extra: { errors?: readonly FieldError[]; requestId?: string } = {},
): ProblemBody {
  return {
    type: `urn:keygate:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
    ...(extra.requestId ? { requestId: extra.requestId } : {}),
  };
}

export const notFound = (): ProblemError => new ProblemError(404, 'key_not_found', 'No key with this id exists for the caller.');

/** At most this many field errors are listed: a 16 KB body of unknown members must not become a 200 KB answer. */
export const MAX_LISTED_ERRORS = 50;

export function validationFailed(errors: readonly FieldError[]): ProblemError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new ProblemError(400, 'validation_failed', `${first.field}: ${first.message}${more}`, errors.slice(0, MAX_LISTED_ERRORS));
}
