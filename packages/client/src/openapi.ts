/**
 * Generated from docs/openapi.json by tools/client-types.ts (openapi-typescript). Do not edit:
 * run `npm run docs:generate`.
 */
export interface paths {
    readonly "/health": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Liveness check; no key needed
         * @description Liveness check; no key needed.
         *
         *     No key needed.
         */
        readonly get: operations["health"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/audit": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Audit entries of key operations, newest first, filtered by key, actor, owner, action and time, with cursor pagination
         * @description Audit entries of key operations, newest first, filtered by key, actor, owner, action and time, with cursor pagination.
         *
         *     Requires the scope `audit:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["listAudit"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/audit/verify": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Recompute the audit hash chain of one key, or of a page of keys, and report the first broken link
         * @description Recompute the audit hash chain of one key, or of a page of keys, and report the first broken link.
         *
         *     Requires the scope `audit:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["verifyAudit"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/echo": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Sample protected route
         * @description Sample protected route.
         *
         *     Requires the scope `echo:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["echo"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * List keys, newest first, with cursor pagination
         * @description List keys, newest first, with cursor pagination.
         *
         *     Requires the scope `keys:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["listKeys"];
        readonly put?: never;
        /**
         * Create a key; the plaintext is returned once
         * @description Create a key; the plaintext is returned once.
         *
         *     Requires the scope `keys:write` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly post: operations["createKey"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys/{id}": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Get one key
         * @description Get one key.
         *
         *     Requires the scope `keys:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["getKey"];
        readonly put?: never;
        readonly post?: never;
        /**
         * Revoke a key at once (idempotent)
         * @description Revoke a key at once (idempotent).
         *
         *     Requires the scope `keys:write` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly delete: operations["revokeKey"];
        readonly options?: never;
        readonly head?: never;
        /**
         * Update a key
         * @description Update a key.
         *
         *     Requires the scope `keys:write` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly patch: operations["updateKey"];
        readonly trace?: never;
    };
    readonly "/v1/keys/{id}/rotate": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Rotate a key with a grace period
         * @description Rotate a key with a grace period.
         *
         *     Requires the scope `keys:write` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly post: operations["rotateKey"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys/{id}/usage": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Live rate-limit and quota usage of a key; with from/to, its daily history from the usage records
         * @description Live rate-limit and quota usage of a key; with from/to, its daily history from the usage records.
         *
         *     Requires the scope `keys:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["keyUsage"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys/import": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Import existing keys (plaintext, hashed on import, or SHA-256 hashes with their display prefix); idempotent by externalId; dryRun reports what would change. Admin only
         * @description Import existing keys (plaintext, hashed on import, or SHA-256 hashes with their display prefix); idempotent by externalId; dryRun reports what would change. Admin only.
         *
         *     Requires the scope `admin` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly post: operations["importKeys"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/keys/revoke-leaked": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Revoke leaked keys by presenting them; no API key needed. Always 202 with the same body; rate-limited per source IP
         * @description Revoke leaked keys by presenting them; no API key needed. Always 202 with the same body; rate-limited per source IP.
         *
         *     No key needed.
         */
        readonly post: operations["revokeLeaked"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/openapi.json": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The OpenAPI 3.1 document of this deployment (built-in and operator routes); no key needed
         * @description The OpenAPI 3.1 document of this deployment (built-in and operator routes); no key needed.
         *
         *     No key needed.
         */
        readonly get: operations["openApi"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/scopes": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Scopes this deployment defines
         * @description Scopes this deployment defines.
         *
         *     Any valid key. Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["listScopes"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/templates": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Key templates (keygate:keyTemplates) POST /v1/keys can start from
         * @description Key templates (keygate:keyTemplates) POST /v1/keys can start from.
         *
         *     Requires the scope `keys:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["listTemplates"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/usage": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * Usage report over the access records, grouped by day, hour, key, owner, route, status or decision
         * @description Usage report over the access records, grouped by day, hour, key, owner, route, status or decision.
         *
         *     Requires the scope `usage:read` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["usageReport"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/verify": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly get?: never;
        readonly put?: never;
        /**
         * Verify a key for a backend not behind API Gateway; counts against its limits
         * @description Verify a key for a backend not behind API Gateway; counts against its limits.
         *
         *     Requires the scope `keys:verify` (`admin` satisfies every scope). Costs 1 unit against the key's rate limit and quotas.
         */
        readonly post: operations["verifyKey"];
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
    readonly "/v1/whoami": {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        /**
         * The calling key
         * @description The calling key.
         *
         *     Any valid key. Costs 1 unit against the key's rate limit and quotas.
         */
        readonly get: operations["whoami"];
        readonly put?: never;
        readonly post?: never;
        readonly delete?: never;
        readonly options?: never;
        readonly head?: never;
        readonly patch?: never;
        readonly trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Addresses the key may be used from (1-100 CIDRs); absent = any. */
        readonly AllowedIps: readonly components["schemas"]["Cidr"][];
        /** AuditEntry */
        readonly AuditEntry: {
            /** @enum {string} */
            readonly action: "key.created" | "key.updated" | "key.revoked" | "key.rotated" | "key.leak_revoked" | "key.expiring_notified" | "key.expired_notified" | "key.imported";
            readonly actor: {
                readonly keyId?: string;
                readonly ownerId?: string;
                /** @enum {string} */
                readonly type: "key" | "system" | "bootstrap" | "leak-report";
            };
            /** Format: date-time */
            readonly at: string;
            readonly chain?: {
                readonly prev: string | null;
                readonly prevExpiresAt?: number;
                readonly seq: number;
            };
            readonly changes: readonly {
                readonly after?: unknown;
                readonly before?: unknown;
                readonly field: string;
                /** @constant */
                readonly sealed?: true;
            }[];
            readonly digest: string;
            /** @description Deleted by retention after this time (epoch seconds). */
            readonly expiresAt: number;
            readonly id: string;
            /** @enum {string} */
            readonly outcome: "success" | "denied";
            /** @description For a denied entry: the problem code the caller got. */
            readonly reason?: string;
            readonly request: {
                readonly requestId?: string;
                readonly sourceIp?: string;
                readonly userAgent?: string;
            };
            readonly target: {
                readonly keyId?: string;
                readonly ownerId: string;
            };
        };
        /** AuditPage */
        readonly AuditPage: {
            readonly items: readonly components["schemas"]["AuditEntry"][];
            /** @description Pass as cursor for the next page; null on the last page. */
            readonly nextCursor: string | null;
        };
        /** AuditVerifyResult */
        readonly AuditVerifyResult: {
            readonly entriesChecked: number;
            readonly firstBroken: {
                readonly broken?: {
                    readonly detail: string;
                    readonly entryId?: string;
                    /** @enum {string} */
                    readonly reason: "digest_mismatch" | "link_mismatch" | "missing_entry" | "head_mismatch";
                    readonly seq: number;
                };
                readonly entries: number;
                readonly firstSeq: number | null;
                readonly keyId: string;
                readonly lastSeq: number | null;
                readonly ok: boolean;
                readonly pruned: boolean;
            } | null;
            readonly keys: readonly {
                readonly broken?: {
                    readonly detail: string;
                    readonly entryId?: string;
                    /** @enum {string} */
                    readonly reason: "digest_mismatch" | "link_mismatch" | "missing_entry" | "head_mismatch";
                    readonly seq: number;
                };
                readonly entries: number;
                readonly firstSeq: number | null;
                readonly keyId: string;
                readonly lastSeq: number | null;
                readonly ok: boolean;
                readonly pruned: boolean;
            }[];
            readonly keysChecked: number;
            /** @description Pass as cursor for the next page; null on the last page. */
            readonly nextCursor: string | null;
            readonly ok: boolean;
        };
        /**
         * @description An IPv4 or IPv6 address or CIDR; stored in canonical form (host bits cleared, explicit prefix).
         * @example 203.0.113.0/24
         */
        readonly Cidr: string;
        /** CreatedKey */
        readonly CreatedKey: {
            readonly allowedIps?: readonly string[];
            /** Format: date-time */
            readonly createdAt: string;
            /** @description The key that created this one (or "bootstrap"). */
            readonly createdBy: string;
            readonly description?: string;
            /** @enum {string} */
            readonly environment: "live" | "test";
            /** Format: date-time */
            readonly expiresAt?: string;
            /** @description The id the key had in the system it was imported from. */
            readonly externalId?: string;
            /**
             * @description Key id: key_ followed by a 26-character ULID.
             * @example key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3
             */
            readonly id: string;
            /** Format: date-time */
            readonly importedAt?: string;
            /** @description The key itself. Shown once, in this answer only; Keygate stores only its hash. */
            readonly key: string;
            /** Format: date-time */
            readonly lastUsedAt?: string;
            /** @description As given at creation or update. */
            readonly metadata?: {
                readonly [key: string]: unknown;
            };
            readonly name: string;
            readonly ownerId: string;
            readonly quota?: {
                readonly daily?: number;
                readonly monthly?: number;
            };
            readonly rateLimit?: {
                /** @description tokenBucket only, as set; absent = limit. */
                readonly burst?: number;
                readonly limit: number;
                /**
                 * @description As set on the key; absent = fixed (keys created before policies existed, or without one).
                 * @enum {string}
                 */
                readonly policy?: "fixed" | "sliding" | "tokenBucket";
                readonly windowSeconds: number;
            };
            /** @description The key that replaced this one by rotation. */
            readonly replacedBy?: string;
            /** @description The key this one replaced by rotation. */
            readonly replaces?: string;
            /** Format: date-time */
            readonly revokedAt?: string;
            readonly scopes: readonly string[];
            /** @description Display prefix of the key, e.g. kg_live_AbCd: enough to recognise it, never enough to use it. */
            readonly start: string;
            /**
             * @description expired is derived: an active key whose expiresAt has passed.
             * @enum {string}
             */
            readonly status: "active" | "revoked" | "expired";
            /** @description The key template the key was created from. */
            readonly template?: string;
            /** Format: date-time */
            readonly updatedAt: string;
        };
        /**
         * CreateKeyBody
         * @description A new key. Unknown members are refused.
         * @example {
         *       "name": "Checkout service",
         *       "scopes": [
         *         "orders:read"
         *       ],
         *       "expiresInDays": 90,
         *       "rateLimit": {
         *         "limit": 100,
         *         "windowSeconds": 60
         *       },
         *       "metadata": {
         *         "team": "payments"
         *       }
         *     }
         */
        readonly CreateKeyBody: {
            readonly allowedIps?: components["schemas"]["AllowedIps"];
            /** @description What the key is for: at most 1024 characters, same text rules as name; encrypted at rest. */
            readonly description?: string;
            readonly environment?: components["schemas"]["Environment"];
            /**
             * Format: date-time
             * @description When the key stops working; must be in the future. Give this or expiresInDays, not both.
             */
            readonly expiresAt?: string;
            /** @description The key expires this many days after creation. Give this or expiresAt, not both. */
            readonly expiresInDays?: number;
            readonly metadata?: components["schemas"]["Metadata"];
            /** @description Name shown for the key: 1-128 characters after trimming; no control, bidirectional-control or zero-width characters. */
            readonly name: string;
            /**
             * @description Owner of the new key; default the caller’s. Only an admin key may name another owner.
             * @example team-payments
             */
            readonly ownerId?: string;
            readonly quota?: components["schemas"]["Quota"];
            readonly rateLimit?: components["schemas"]["RateLimit"];
            readonly scopes?: components["schemas"]["Scopes"];
            /** @description A key template (GET /v1/templates) to start from: each of scopes, rateLimit, quota, allowedIps, environment and expiry the request leaves out comes from it. */
            readonly template?: string;
        };
        /** Echo */
        readonly Echo: {
            readonly keyId: string;
            readonly message: string;
            readonly method: string;
            readonly ownerId: string;
            readonly path: string;
            readonly scopes: readonly string[];
        };
        /**
         * @description Which kind of key: the environment is part of the key text (kg_live_…, kg_test_…).
         * @enum {string}
         */
        readonly Environment: "live" | "test";
        readonly FieldErrorSchema: {
            /** @description For the input rules (docs/api.md), e.g. bidi_control. */
            readonly code?: string;
            /** @description Dotted path of the member, e.g. rateLimit.limit or scopes[2]. */
            readonly field: string;
            readonly message: string;
        };
        /** Health */
        readonly Health: {
            /** @constant */
            readonly status: "ok";
        };
        /** ImportKeyRow */
        readonly ImportKeyRow: {
            readonly allowedIps?: components["schemas"]["AllowedIps"];
            /** @description What the key is for: at most 1024 characters, same text rules as name; encrypted at rest. */
            readonly description?: string;
            readonly environment?: components["schemas"]["Environment"];
            /** Format: date-time */
            readonly expiresAt?: string;
            /** @description The key’s id in the system it comes from: 1-128 of letters, digits and . _ : @ / + = -. Importing the same externalId again is idempotent. */
            readonly externalId: string;
            /** @description SHA-256 of the plaintext, 64 lowercase hex characters; with start. */
            readonly hash?: string;
            /** @description The plaintext key: hashed on arrival, never stored. Give key, or hash with start. A key not in Keygate’s format needs keygate:legacyKeys. */
            readonly key?: string;
            readonly metadata?: components["schemas"]["Metadata"];
            /** @description Name shown for the key: 1-128 characters after trimming; no control, bidirectional-control or zero-width characters. */
            readonly name: string;
            readonly ownerId: components["schemas"]["OwnerId"];
            readonly quota?: components["schemas"]["Quota"];
            readonly rateLimit?: components["schemas"]["RateLimit"];
            readonly scopes: components["schemas"]["Scopes"];
            /** @description Display prefix the key is recognised by (1-16 printable ASCII characters); required with hash. */
            readonly start?: string;
        };
        /**
         * ImportKeysBody
         * @description Keys to bring into Keygate, at most 100 per request and within the 16 KB body limit.
         * @example {
         *       "keys": [
         *         {
         *           "externalId": "legacy-42",
         *           "hash": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
         *           "start": "kg_live_AbCd",
         *           "name": "Partner A",
         *           "ownerId": "partner-a",
         *           "scopes": [
         *             "orders:read"
         *           ]
         *         }
         *       ],
         *       "dryRun": true
         *     }
         */
        readonly ImportKeysBody: {
            /** @description Write nothing; report what a real run would do (would_create for new rows). */
            readonly dryRun?: boolean;
            readonly keys: readonly components["schemas"]["ImportKeyRow"][];
        };
        /**
         * ImportKeysResult
         * @description One outcome per row, in request order, and the totals.
         */
        readonly ImportKeysResult: {
            readonly dryRun: boolean;
            readonly results: readonly {
                readonly errors?: readonly components["schemas"]["FieldErrorSchema"][];
                readonly externalId?: string;
                readonly index: number;
                readonly keyId?: string;
                /**
                 * @description created; unchanged (already imported with this hash); conflict (the externalId has another hash, or the hash belongs to another key — which one is not said); invalid (see errors); would_create (dry run).
                 * @enum {string}
                 */
                readonly status: "created" | "unchanged" | "conflict" | "invalid" | "would_create";
            }[];
            readonly summary: {
                readonly conflict: number;
                readonly created: number;
                readonly invalid: number;
                readonly total: number;
                readonly unchanged: number;
                readonly would_create: number;
            };
        };
        /** KeyPage */
        readonly KeyPage: {
            readonly items: readonly components["schemas"]["KeyView"][];
            /** @description Pass as cursor for the next page; null on the last page. */
            readonly nextCursor: string | null;
        };
        readonly KeyTemplateView: {
            readonly allowedIps?: readonly string[];
            readonly description?: string;
            /** @enum {string} */
            readonly environment?: "live" | "test";
            readonly expiresInDays?: number;
            readonly name: string;
            readonly quota?: {
                readonly daily?: number;
                readonly monthly?: number;
            };
            readonly rateLimit?: {
                /** @description tokenBucket only, as set; absent = limit. */
                readonly burst?: number;
                readonly limit: number;
                /**
                 * @description As set on the key; absent = fixed (keys created before policies existed, or without one).
                 * @enum {string}
                 */
                readonly policy?: "fixed" | "sliding" | "tokenBucket";
                readonly windowSeconds: number;
            };
            readonly scopes: readonly string[];
        };
        /**
         * KeyUsage
         * @description Live counters of the key’s limits.
         */
        readonly KeyUsage: {
            readonly keyId: string;
            readonly quota: {
                readonly daily: {
                    readonly limit: number;
                    readonly remaining: number;
                    /** Format: date-time */
                    readonly resetAt: string;
                    readonly used: number;
                } | null;
                readonly monthly: {
                    readonly limit: number;
                    readonly remaining: number;
                    /** Format: date-time */
                    readonly resetAt: string;
                    readonly used: number;
                } | null;
            };
            readonly rateLimit: {
                /** @description tokenBucket: the bucket’s capacity (limit is then burst as well). */
                readonly burst?: number;
                readonly limit: number;
                /**
                 * @description The policy the key counts with (fixed when the key sets none).
                 * @enum {string}
                 */
                readonly policy: "fixed" | "sliding" | "tokenBucket";
                readonly remaining: number;
                /** Format: date-time */
                readonly resetAt: string;
                readonly used: number;
                readonly windowSeconds: number;
                /** Format: date-time */
                readonly windowStart: string;
            } | null;
        };
        /** KeyUsageAnswer */
        readonly KeyUsageAnswer: components["schemas"]["KeyUsage"] | components["schemas"]["KeyUsageHistory"];
        /**
         * KeyUsageHistory
         * @description Live counters, and with from/to the key’s requests per day from the usage records.
         */
        readonly KeyUsageHistory: {
            readonly history: {
                readonly days: readonly components["schemas"]["UsageReportRow"][];
                readonly from: string;
                readonly to: string;
                readonly truncated: boolean;
            };
            readonly keyId: string;
            readonly quota: {
                readonly daily: {
                    readonly limit: number;
                    readonly remaining: number;
                    /** Format: date-time */
                    readonly resetAt: string;
                    readonly used: number;
                } | null;
                readonly monthly: {
                    readonly limit: number;
                    readonly remaining: number;
                    /** Format: date-time */
                    readonly resetAt: string;
                    readonly used: number;
                } | null;
            };
            readonly rateLimit: {
                /** @description tokenBucket: the bucket’s capacity (limit is then burst as well). */
                readonly burst?: number;
                readonly limit: number;
                /**
                 * @description The policy the key counts with (fixed when the key sets none).
                 * @enum {string}
                 */
                readonly policy: "fixed" | "sliding" | "tokenBucket";
                readonly remaining: number;
                /** Format: date-time */
                readonly resetAt: string;
                readonly used: number;
                readonly windowSeconds: number;
                /** Format: date-time */
                readonly windowStart: string;
            } | null;
        };
        /**
         * KeyView
         * @description A key as clients see it: never its hash or plaintext.
         */
        readonly KeyView: {
            readonly allowedIps?: readonly string[];
            /** Format: date-time */
            readonly createdAt: string;
            /** @description The key that created this one (or "bootstrap"). */
            readonly createdBy: string;
            readonly description?: string;
            /** @enum {string} */
            readonly environment: "live" | "test";
            /** Format: date-time */
            readonly expiresAt?: string;
            /** @description The id the key had in the system it was imported from. */
            readonly externalId?: string;
            /**
             * @description Key id: key_ followed by a 26-character ULID.
             * @example key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3
             */
            readonly id: string;
            /** Format: date-time */
            readonly importedAt?: string;
            /** Format: date-time */
            readonly lastUsedAt?: string;
            /** @description As given at creation or update. */
            readonly metadata?: {
                readonly [key: string]: unknown;
            };
            readonly name: string;
            readonly ownerId: string;
            readonly quota?: {
                readonly daily?: number;
                readonly monthly?: number;
            };
            readonly rateLimit?: {
                /** @description tokenBucket only, as set; absent = limit. */
                readonly burst?: number;
                readonly limit: number;
                /**
                 * @description As set on the key; absent = fixed (keys created before policies existed, or without one).
                 * @enum {string}
                 */
                readonly policy?: "fixed" | "sliding" | "tokenBucket";
                readonly windowSeconds: number;
            };
            /** @description The key that replaced this one by rotation. */
            readonly replacedBy?: string;
            /** @description The key this one replaced by rotation. */
            readonly replaces?: string;
            /** Format: date-time */
            readonly revokedAt?: string;
            readonly scopes: readonly string[];
            /** @description Display prefix of the key, e.g. kg_live_AbCd: enough to recognise it, never enough to use it. */
            readonly start: string;
            /**
             * @description expired is derived: an active key whose expiresAt has passed.
             * @enum {string}
             */
            readonly status: "active" | "revoked" | "expired";
            /** @description The key template the key was created from. */
            readonly template?: string;
            /** Format: date-time */
            readonly updatedAt: string;
        };
        /** LeakReportAccepted */
        readonly LeakReportAccepted: {
            readonly message: string;
            /** @constant */
            readonly status: "accepted";
        };
        /**
         * LeakReportBody
         * @description Leaked keys to revoke; possession is the authority. The answer is the same whatever was presented.
         * @example {
         *       "keys": [
         *         "kg_live_…"
         *       ]
         *     }
         */
        readonly LeakReportBody: {
            /** @description 1-100 strings believed to be leaked keys; a string that is not a live key is ignored. */
            readonly keys: readonly string[];
        };
        /**
         * @description Free-form JSON object, at most 4096 bytes as JSON and 32 levels deep; encrypted at rest.
         * @example {
         *       "team": "payments"
         *     }
         */
        readonly Metadata: {
            readonly [key: string]: unknown;
        };
        /** OpenApiDocument */
        readonly OpenApiDocument: {
            readonly openapi: string;
        };
        /**
         * @description The owner (tenant) a key belongs to: 1-128 letters, digits and . _ : @ -, starting with a letter or digit.
         * @example team-payments
         */
        readonly OwnerId: string;
        /**
         * ProblemDetails
         * @description RFC 9457 problem details, as application/problem+json.
         */
        readonly ProblemDetails: {
            /** @description Stable problem code (core/problem-codes.ts). */
            readonly code: string;
            readonly detail: string;
            readonly errors?: readonly components["schemas"]["FieldErrorSchema"][];
            readonly requestId?: string;
            readonly status: number;
            readonly title: string;
            readonly type: string;
        };
        /**
         * QueryRunning
         * @description The query is still running: ask again with the same parameters plus queryId (the Location header).
         */
        readonly QueryRunning: {
            readonly queryId: string;
            readonly retryAfterSeconds: number;
            /** @constant */
            readonly status: "running";
        };
        /**
         * @description Requests allowed per UTC day and/or calendar month; daily must not exceed monthly.
         * @example {
         *       "daily": 1000,
         *       "monthly": 20000
         *     }
         */
        readonly Quota: {
            /** @description Requests allowed per UTC day. */
            readonly daily?: number;
            /** @description Requests allowed per UTC calendar month. */
            readonly monthly?: number;
        };
        /**
         * @description At most `limit` requests per `windowSeconds` seconds, counted as `policy` says (default fixed); `burst` only with tokenBucket.
         * @example {
         *       "limit": 100,
         *       "windowSeconds": 60
         *     }
         * @example {
         *       "limit": 100,
         *       "windowSeconds": 60,
         *       "policy": "tokenBucket",
         *       "burst": 20
         *     }
         */
        readonly RateLimit: {
            /** @description tokenBucket only: the bucket’s capacity, the most requests admitted at once from a full bucket; default limit. */
            readonly burst?: number;
            /** @description Requests allowed per window (tokenBucket: refilled per windowSeconds). */
            readonly limit: number;
            /**
             * @description How requests are counted; absent = fixed. fixed: epoch-aligned windows of windowSeconds, so up to 2× limit can pass across a window boundary. sliding: never more than limit in any windowSeconds-long interval. tokenBucket: refills limit per windowSeconds continuously and holds at most burst, so up to burst requests can pass at once.
             * @enum {string}
             */
            readonly policy?: "fixed" | "sliding" | "tokenBucket";
            /** @description Length of the window in seconds. */
            readonly windowSeconds: number;
        };
        /** @description Route template as recorded, e.g. /v1/keys/{id}. */
        readonly ReportRoute: string;
        /** RotatedKey */
        readonly RotatedKey: {
            readonly allowedIps?: readonly string[];
            /** Format: date-time */
            readonly createdAt: string;
            /** @description The key that created this one (or "bootstrap"). */
            readonly createdBy: string;
            readonly description?: string;
            /** @enum {string} */
            readonly environment: "live" | "test";
            /** Format: date-time */
            readonly expiresAt?: string;
            /** @description The id the key had in the system it was imported from. */
            readonly externalId?: string;
            /**
             * @description Key id: key_ followed by a 26-character ULID.
             * @example key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3
             */
            readonly id: string;
            /** Format: date-time */
            readonly importedAt?: string;
            /** @description The key itself. Shown once, in this answer only; Keygate stores only its hash. */
            readonly key: string;
            /** Format: date-time */
            readonly lastUsedAt?: string;
            /** @description As given at creation or update. */
            readonly metadata?: {
                readonly [key: string]: unknown;
            };
            readonly name: string;
            readonly ownerId: string;
            /** @description The rotated key: it keeps working until expiresAt (the grace period), or is revoked with a grace period of 0. */
            readonly previous: {
                /** Format: date-time */
                readonly expiresAt?: string;
                /**
                 * @description Key id: key_ followed by a 26-character ULID.
                 * @example key_01J9Z8Q4R7T2V5W8X1Y4Z7A0B3
                 */
                readonly id: string;
                /** @enum {string} */
                readonly status: "active" | "revoked" | "expired";
            };
            readonly quota?: {
                readonly daily?: number;
                readonly monthly?: number;
            };
            readonly rateLimit?: {
                /** @description tokenBucket only, as set; absent = limit. */
                readonly burst?: number;
                readonly limit: number;
                /**
                 * @description As set on the key; absent = fixed (keys created before policies existed, or without one).
                 * @enum {string}
                 */
                readonly policy?: "fixed" | "sliding" | "tokenBucket";
                readonly windowSeconds: number;
            };
            /** @description The key that replaced this one by rotation. */
            readonly replacedBy?: string;
            /** @description The key this one replaced by rotation. */
            readonly replaces?: string;
            /** Format: date-time */
            readonly revokedAt?: string;
            readonly scopes: readonly string[];
            /** @description Display prefix of the key, e.g. kg_live_AbCd: enough to recognise it, never enough to use it. */
            readonly start: string;
            /**
             * @description expired is derived: an active key whose expiresAt has passed.
             * @enum {string}
             */
            readonly status: "active" | "revoked" | "expired";
            /** @description The key template the key was created from. */
            readonly template?: string;
            /** Format: date-time */
            readonly updatedAt: string;
        };
        /**
         * RotateKeyBody
         * @description Optional; an absent body means the default grace period.
         * @example {
         *       "gracePeriodSeconds": 3600
         *     }
         */
        readonly RotateKeyBody: {
            /**
             * @description Seconds the old key keeps working (0 revokes it at once).
             * @default 86400
             */
            readonly gracePeriodSeconds?: number;
        };
        /**
         * ScopeList
         * @description Scopes this deployment defines, built-in ones included, by name.
         */
        readonly ScopeList: {
            readonly items: readonly {
                readonly description: string;
                readonly name: string;
            }[];
        };
        /**
         * @description A scope name: lower case, digits, and . _ - segments joined by ":".
         * @example orders:read
         */
        readonly ScopeName: string;
        /** @description Scopes the key holds (at most 50; duplicates are dropped). Each must be defined in the deployment (GET /v1/scopes). */
        readonly Scopes: readonly components["schemas"]["ScopeName"][];
        /** TemplateList */
        readonly TemplateList: {
            readonly items: readonly components["schemas"]["KeyTemplateView"][];
        };
        /**
         * UpdateKeyBody
         * @description Changes to a key: null clears an attribute, an absent member leaves it alone. At least one member.
         * @example {
         *       "name": "Checkout service (EU)",
         *       "rateLimit": null
         *     }
         */
        readonly UpdateKeyBody: {
            readonly allowedIps?: components["schemas"]["AllowedIps"] | null;
            readonly description?: string | null;
            readonly expiresAt?: string | null;
            readonly metadata?: components["schemas"]["Metadata"] | null;
            /** @description Name shown for the key: 1-128 characters after trimming; no control, bidirectional-control or zero-width characters. */
            readonly name?: string;
            readonly quota?: components["schemas"]["Quota"] | null;
            readonly rateLimit?: components["schemas"]["RateLimit"] | null;
            readonly scopes?: components["schemas"]["Scopes"];
        };
        /** UsageReport */
        readonly UsageReport: {
            readonly from: string;
            readonly groupBy: readonly string[];
            readonly keyId: string | null;
            readonly ownerId: string | null;
            readonly route: string | null;
            readonly rows: readonly components["schemas"]["UsageReportRow"][];
            readonly to: string;
            /** @description More rows matched than one report holds; the rest were left out. */
            readonly truncated: boolean;
        };
        /** @description Group columns as requested (day, hour, keyId, ownerId, route, status, decision), then requests, errors, rateLimited, p50LatencyMs, p95LatencyMs, p99LatencyMs. */
        readonly UsageReportRow: {
            readonly [key: string]: string | number | null;
        };
        /**
         * VerifyKeyBody
         * @description A key to verify for a backend not behind API Gateway; counts against its limits.
         * @example {
         *       "key": "kg_live_…",
         *       "scopes": [
         *         "orders:read"
         *       ],
         *       "sourceIp": "203.0.113.7"
         *     }
         */
        readonly VerifyKeyBody: {
            /** @description Units charged against the key’s limits; default 1. */
            readonly cost?: number;
            /** @description The API key a client presented. */
            readonly key: string;
            /** @description Scopes the caller’s route requires; every one must be held. */
            readonly scopes?: readonly components["schemas"]["ScopeName"][];
            /** @description The client’s address, checked against the key’s allowedIps. */
            readonly sourceIp?: string;
        };
        /**
         * VerifyResult
         * @description A refused key is a 200 answer saying why, not an error of the call.
         */
        readonly VerifyResult: {
            /**
             * @description Why the key is or is not valid (a missing or malformed key is NOT_FOUND).
             * @enum {string}
             */
            readonly code: "VALID" | "NOT_FOUND" | "REVOKED" | "EXPIRED" | "INSUFFICIENT_SCOPE" | "IP_NOT_ALLOWED" | "RATE_LIMITED" | "QUOTA_EXCEEDED";
            readonly expiresAt: string | null;
            readonly keyId: string | null;
            readonly ownerId: string | null;
            readonly rateLimit: {
                readonly limit: number;
                readonly remaining: number;
                /** Format: date-time */
                readonly resetAt: string;
            } | null;
            readonly scopes: readonly string[];
            readonly valid: boolean;
        };
        /**
         * Whoami
         * @description The calling key.
         */
        readonly Whoami: {
            readonly expiresAt: string | null;
            readonly keyId: string;
            readonly ownerId: string;
            readonly scopes: readonly string[];
        };
    };
    responses: {
        /** @description Problem details (RFC 9457). `code` is one of: `validation_failed`, `invalid_body`, `malformed_json`, `invalid_utf8`, `nesting_too_deep`, `duplicate_member`, `lone_surrogate`, `malformed_request_target`, `malformed_request`, `invalid_key_id`, `invalid_cursor`, `unknown_scope`, `bad_request`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem400: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:validation_failed",
                 *       "title": "A field is invalid",
                 *       "status": 400,
                 *       "code": "validation_failed",
                 *       "detail": "One or more fields of the body or query break a rule. `errors[]` lists each field (`field`, `message`, and for some rules a `code`, listed under field error codes below); `detail` names the first and counts the rest.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `unauthorized`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem401: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:unauthorized",
                 *       "title": "No valid API key",
                 *       "status": 401,
                 *       "code": "unauthorized",
                 *       "detail": "The key is missing, malformed, has a bad checksum or the wrong prefix, is unknown, revoked or expired. One answer for all of them, so the answer does not tell a prober which.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `bad_request`, `forbidden`, `insufficient_scope`, `ip_not_allowed`, `unknown_route`, `scope_not_grantable`, `owner_not_allowed`, `rate_limited`, `daily_quota_exceeded`, `monthly_quota_exceeded`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem403: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:bad_request",
                 *       "title": "Refused by API Gateway",
                 *       "status": 403,
                 *       "code": "bad_request",
                 *       "detail": "API Gateway refused the request itself for a reason without its own gateway response, for example malformed HTTP or a WAF block. The status is API Gateway's, and the body has no `status` member.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `key_not_found`, `route_not_found`, `console_file_not_found`, `query_not_found`, `usage_analytics_off`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem404: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:key_not_found",
                 *       "title": "No such key",
                 *       "status": 404,
                 *       "code": "key_not_found",
                 *       "detail": "No key with this id exists for the caller. Another owner's key answers the same, so the answer does not reveal whether it exists.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `key_revoked`, `key_expired`, `key_already_rotated`, `key_rotated`, `rotation_policy_change`, `conflict`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem409: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:key_revoked",
                 *       "title": "The key is revoked",
                 *       "status": 409,
                 *       "code": "key_revoked",
                 *       "detail": "The key is revoked, and a revoked key cannot be changed or rotated.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `payload_too_large`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem413: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:payload_too_large",
                 *       "title": "The body is too large",
                 *       "status": 413,
                 *       "code": "payload_too_large",
                 *       "detail": "The body is over 16,384 bytes (keys Lambda) or over API Gateway's 10 MB.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `unsupported_media_type`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem415: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:unsupported_media_type",
                 *       "title": "The body is not JSON",
                 *       "status": 415,
                 *       "code": "unsupported_media_type",
                 *       "detail": "A `Content-Type` other than `application/json` or `application/*+json` was sent with the body.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `rate_limited`, `daily_quota_exceeded`, `monthly_quota_exceeded`, `throttled`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem429: {
            headers: {
                readonly RateLimit: components["headers"]["RateLimit"];
                readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                readonly "Retry-After": components["headers"]["Retry-After"];
                readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:rate_limited",
                 *       "title": "Rate limit used up",
                 *       "status": 429,
                 *       "code": "rate_limited",
                 *       "detail": "The calling key's rate limit is used up for this window; or, on `POST /v1/keys/revoke-leaked`, the source address presented more than 100 keys in a minute. The 429 body carries `limit`, `remaining`, `reset` and `retryAfter`. Only where the authorizer has no usage-plan key is it the `reason` of a 403 `forbidden` instead.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `internal_error`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem500: {
            headers: {
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:internal_error",
                 *       "title": "A fault on the server",
                 *       "status": 500,
                 *       "code": "internal_error",
                 *       "detail": "A fault (a bug, or an error Keygate does not expect). The body is generic on purpose; the details are in the log.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
        /** @description Problem details (RFC 9457). `code` is one of: `service_unavailable`, `authorizer_unavailable`. See docs/troubleshooting.md for each code's cause and fix. */
        readonly Problem503: {
            headers: {
                readonly "Retry-After": components["headers"]["Retry-After"];
                readonly [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "type": "urn:keygate:problem:service_unavailable",
                 *       "title": "A dependency is unavailable",
                 *       "status": 503,
                 *       "code": "service_unavailable",
                 *       "detail": "DynamoDB (key or counter table) or KMS failed or timed out in a retryable way. It carries `Retry-After: 1`. A 503 on `POST /v1/keys` may still have created the key.",
                 *       "requestId": "c0ffee00-0000-4000-8000-000000000000"
                 *     }
                 */
                readonly "application/problem+json": components["schemas"]["ProblemDetails"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description RFC 8288 links, e.g. `rel="audit"` to the key's audit trail. */
        readonly Link: string;
        /** @description URL of the created resource, or of the running report to poll. */
        readonly Location: string;
        /** @description What is left of each limit (same draft): `r` units available now and `t` seconds until the limit is full again (for a limit that refused the request: until the request fits it again). Example: `"rate";r=99;t=42, "daily";r=4999;t=51234`. */
        readonly RateLimit: string;
        /** @description The key's limits (IETF draft-ietf-httpapi-ratelimit-headers-11, a Structured Field list): one item per limit, `"rate"`, `"daily"`, `"monthly"`, with `q` (units) and `w` (seconds; for a token bucket `q` is the burst and `w` the time to refill it) and, on `"rate"`, `keygate-policy` (`fixed`, `sliding` or `tokenBucket`). Example: `"rate";q=100;w=60;keygate-policy="fixed", "daily";q=5000;w=86400`. */
        readonly "RateLimit-Policy": string;
        /** @description Seconds to wait before retrying (never earlier than the `t` of any limit that refused). */
        readonly "Retry-After": number;
        /** @description The key's rate limit for the current window (the headline limit when several apply). */
        readonly "X-RateLimit-Limit": number;
        /** @description Units left in the current window. */
        readonly "X-RateLimit-Remaining": number;
        /** @description Unix time (seconds) at which the current window resets. */
        readonly "X-RateLimit-Reset": number;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    readonly health: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The service is up. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Health"];
                };
            };
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly listAudit: {
        readonly parameters: {
            readonly query?: {
                /** @description Only entries of this action. */
                readonly action?: "key.created" | "key.updated" | "key.revoked" | "key.rotated" | "key.leak_revoked" | "key.expiring_notified" | "key.expired_notified" | "key.imported";
                /** @description Only entries of calls made with this key. */
                readonly actorKeyId?: string;
                /** @description nextCursor of the previous page. */
                readonly cursor?: string;
                /** @description Entries at or after this time. */
                readonly from?: string;
                /** @description Key id: key_ followed by a 26-character ULID. */
                readonly keyId?: string;
                /** @description Items per page, 1-100. */
                readonly limit?: number;
                readonly ownerId?: components["schemas"]["OwnerId"];
                /** @description Entries before this time; must be after from. */
                readonly to?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of audit entries, newest first. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AuditPage"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly verifyAudit: {
        readonly parameters: {
            readonly query?: {
                /** @description nextCursor of the previous page. */
                readonly cursor?: string;
                /** @description One key; absent = a page of keys (the caller’s owner’s, or every owner’s for admin). */
                readonly keyId?: string;
                /** @description Items per page, 1-100. */
                readonly limit?: number;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The verdict of each key checked. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["AuditVerifyResult"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly echo: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Who called, and how. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Echo"];
                };
            };
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly listKeys: {
        readonly parameters: {
            readonly query?: {
                /** @description nextCursor of the previous page. */
                readonly cursor?: string;
                /** @description Items per page, 1-100. */
                readonly limit?: number;
                /** @description Only this owner’s keys (admin keys; any other key sees only its own owner’s). */
                readonly ownerId?: string;
                /** @description Only keys in this status. */
                readonly status?: "active" | "revoked" | "expired";
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description A page of keys, newest first. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["KeyPage"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly createKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["CreateKeyBody"];
            };
        };
        readonly responses: {
            /** @description The new key, with its plaintext (shown this once). */
            readonly 201: {
                headers: {
                    readonly Location: components["headers"]["Location"];
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["CreatedKey"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 413: components["responses"]["Problem413"];
            readonly 415: components["responses"]["Problem415"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly getKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The key; Link names its audit trail (rel="audit"). */
            readonly 200: {
                headers: {
                    readonly Link: components["headers"]["Link"];
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["KeyView"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 404: components["responses"]["Problem404"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly revokeKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The revoked key (revoking a revoked key answers it unchanged). */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["KeyView"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 404: components["responses"]["Problem404"];
            readonly 409: components["responses"]["Problem409"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly updateKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["UpdateKeyBody"];
            };
        };
        readonly responses: {
            /** @description The key as changed. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["KeyView"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 404: components["responses"]["Problem404"];
            readonly 409: components["responses"]["Problem409"];
            readonly 413: components["responses"]["Problem413"];
            readonly 415: components["responses"]["Problem415"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly rotateKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path: {
                readonly id: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: {
            readonly content: {
                readonly "application/json": components["schemas"]["RotateKeyBody"];
            };
        };
        readonly responses: {
            /** @description The new key, with its plaintext (shown this once), and what became of the old one. */
            readonly 201: {
                headers: {
                    readonly Location: components["headers"]["Location"];
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["RotatedKey"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 404: components["responses"]["Problem404"];
            readonly 409: components["responses"]["Problem409"];
            readonly 413: components["responses"]["Problem413"];
            readonly 415: components["responses"]["Problem415"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly keyUsage: {
        readonly parameters: {
            readonly query?: {
                /** @description First day (UTC) of the history, inclusive. */
                readonly from?: string;
                /** @description The queryId a 202 answer returned: ask again with the same parameters plus this. */
                readonly queryId?: string;
                /** @description Last day (UTC) of the history, inclusive. */
                readonly to?: string;
            };
            readonly header?: never;
            readonly path: {
                readonly id: string;
            };
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Live counters of the key’s limits; with from/to, its daily history too. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["KeyUsageAnswer"];
                };
            };
            /** @description The query is still running: ask again at Location (the same parameters plus queryId) after Retry-After seconds. */
            readonly 202: {
                headers: {
                    readonly Location: components["headers"]["Location"];
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "Retry-After": components["headers"]["Retry-After"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["QueryRunning"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 404: components["responses"]["Problem404"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly importKeys: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["ImportKeysBody"];
            };
        };
        readonly responses: {
            /** @description What the import did (or, with dryRun, would do) for each row. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ImportKeysResult"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 413: components["responses"]["Problem413"];
            readonly 415: components["responses"]["Problem415"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly revokeLeaked: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["LeakReportBody"];
            };
        };
        readonly responses: {
            /** @description Always the same answer, whether or not any presented string was a live key. */
            readonly 202: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["LeakReportAccepted"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 413: components["responses"]["Problem413"];
            readonly 415: components["responses"]["Problem415"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly openApi: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The OpenAPI 3.1 document of this deployment. */
            readonly 200: {
                headers: {
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["OpenApiDocument"];
                };
            };
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly listScopes: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Scopes this deployment defines. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["ScopeList"];
                };
            };
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly listTemplates: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description Key templates POST /v1/keys can start from. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["TemplateList"];
                };
            };
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly usageReport: {
        readonly parameters: {
            readonly query?: {
                /** @description First day (UTC), inclusive; default 6 days before to. */
                readonly from?: string;
                /** @description Comma-separated groups: day, hour, key, owner, route, status, decision; default day. */
                readonly groupBy?: string;
                /** @description Key id: key_ followed by a 26-character ULID. */
                readonly keyId?: string;
                readonly ownerId?: components["schemas"]["OwnerId"];
                /** @description The queryId a 202 answer returned: ask again with the same parameters plus this. */
                readonly queryId?: string;
                readonly route?: components["schemas"]["ReportRoute"];
                /** @description Last day (UTC), inclusive; default today. */
                readonly to?: string;
            };
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The report. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["UsageReport"];
                };
            };
            /** @description The query is still running: ask again at Location (the same parameters plus queryId) after Retry-After seconds. */
            readonly 202: {
                headers: {
                    readonly Location: components["headers"]["Location"];
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "Retry-After": components["headers"]["Retry-After"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["QueryRunning"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly verifyKey: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody: {
            readonly content: {
                readonly "application/json": components["schemas"]["VerifyKeyBody"];
            };
        };
        readonly responses: {
            /** @description Whether the key is valid, and if not why (a refused key is not an error of the call). */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["VerifyResult"];
                };
            };
            readonly 400: components["responses"]["Problem400"];
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 413: components["responses"]["Problem413"];
            readonly 415: components["responses"]["Problem415"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
    readonly whoami: {
        readonly parameters: {
            readonly query?: never;
            readonly header?: never;
            readonly path?: never;
            readonly cookie?: never;
        };
        readonly requestBody?: never;
        readonly responses: {
            /** @description The calling key. */
            readonly 200: {
                headers: {
                    readonly RateLimit: components["headers"]["RateLimit"];
                    readonly "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    readonly "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    readonly "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    readonly "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    readonly [name: string]: unknown;
                };
                content: {
                    readonly "application/json": components["schemas"]["Whoami"];
                };
            };
            readonly 401: components["responses"]["Problem401"];
            readonly 403: components["responses"]["Problem403"];
            readonly 429: components["responses"]["Problem429"];
            readonly 500: components["responses"]["Problem500"];
            readonly 503: components["responses"]["Problem503"];
        };
    };
}
