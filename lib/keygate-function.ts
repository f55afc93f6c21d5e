import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { fileURLToPath } from 'node:url';

/**
 * Lambda settings every Keygate function shares.
 *
 * Node.js 24 is the newest runtime this aws-cdk-lib knows; cdk-nag AwsSolutions-L1
 * accepts only the newest one in the family. ARM64 is cheaper per GB-second.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * esbuild settings every Keygate function shares (local esbuild; Docker is never needed).
 *
 * - ESM output (`index.mjs`) with a `createRequire` banner, so CommonJS dependencies that
 *   call `require()` for Node built-ins still work inside an ES module.
 * - `mainFields: ['module', 'main']` makes esbuild pick the ESM builds of the AWS SDK.
 * - The AWS SDK is bundled (`bundleAwsSDK`), not taken from the runtime: the versions in
 *   package-lock.json are the versions that run, and a runtime SDK update cannot change
 *   behaviour under us.
 * - Source maps without `sourcesContent` (the TypeScript itself stays out of the asset);
 *   {@link LAMBDA_BASE_ENVIRONMENT} turns them on at run time.
 */
export const LAMBDA_BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: "import { createRequire as __keygateCreateRequire } from 'node:module'; const require = __keygateCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
};

/**
 * Environment every Keygate function gets. This aws-cdk-lib does not add
 * `--enable-source-maps` by itself when `sourceMap` is on. The price is paid at cold
 * start, when Node loads the map with the module: importing the authorizer bundle took
 * about 7 ms longer with the flag than without (`npm run bench`, Node 20, local, not Lambda;
 * see docs/benchmarks.md). Drop this
 * entry if cold-start latency ever matters more than readable stack traces.
 */
export const LAMBDA_BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--enable-source-maps',
};

/** Repository-relative handler entry, resolved from this file so it works from any cwd. */
export function handlerEntry(relativeToRepoRoot: string): string {
  return fileURLToPath(new URL(`../${relativeToRepoRoot}`, import.meta.url));
}


export interface KeygateFunctionProps {
  /** Construct ids of the three parts, under `scope`. Ids are a contract: they name deployed resources. */
  readonly ids: { readonly function: string; readonly role: string; readonly logGroup: string };
  /** Handler source (must export `handler`), repository-relative unless `entryPath` is given. */
  readonly entry: string;
  /** An absolute entry path that overrides `entry` (tests, custom builds). */
  readonly entryPath?: string;
  readonly description: string;
  readonly roleDescription: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Added after `LAMBDA_BASE_ENVIRONMENT`. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly retryAttempts?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Commands run around esbuild, e.g. to copy files into the asset (the console's build).
   * @default - none
   */
  readonly commandHooks?: nodejs.ICommandHooks;
}

export interface KeygateFunctionParts {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * A Keygate Lambda function with what every one of them has: the shared runtime, architecture and
 * bundling, `LAMBDA_BASE_ENVIRONMENT`, a log group of its own with a retention, and a role of its
 * own that may only write that log group. Not the default role: that one attaches the AWS managed
 * AWSLambdaBasicExecutionRole (logs:* on every log group, cdk-nag IAM4). Every other permission is
 * granted by the construct that owns the resource (`grantXxx`).
 */
export function keygateFunction(scope: Construct, props: KeygateFunctionProps): KeygateFunctionParts {
  const logGroup = new logs.LogGroup(scope, props.ids.logGroup, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
  const role = new iam.Role(scope, props.ids.role, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  const fn = new nodejs.NodejsFunction(scope, props.ids.function, {
    entry: props.entryPath ?? handlerEntry(props.entry),
    handler: 'handler',
    description: props.description,
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    bundling: props.commandHooks ? { ...LAMBDA_BUNDLING, commandHooks: props.commandHooks } : LAMBDA_BUNDLING,
    ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
    environment: { ...LAMBDA_BASE_ENVIRONMENT, ...props.environment },
  });
  return { function: fn, role, logGroup };
}
