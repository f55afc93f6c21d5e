/**
 * Physical names that must be unique per account and Region, derived from the stack, so two
 * Keygate stacks (say `Keygate` and `KeygateStaging`) can live side by side. Everything else
 * Keygate creates gets a CloudFormation-generated name, which already contains the stack name.
 *
 * - API key values: "API key values must be unique" per account and Region; a second stack
 *   with the same value fails with 409 `API Key already exists`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html).
 * - EventBridge bus names are unique per account and Region; CDK's generated name comes from
 *   the construct path (`KeygateNotificationsBus…`), which is the same in every Keygate stack.
 *
 * Stack names are themselves unique per account and Region, so a name derived from the stack
 * name cannot collide with another Keygate stack's.
 */
import { createHash } from 'node:crypto';
import { Aws, Fn, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

function literalStackName(scope: IConstruct): string {
  const name = Stack.of(scope).stackName;
  // A token cannot be hashed at synth time; Keygate always passes a literal stack name.
  if (Token.isUnresolved(name)) throw new Error('Keygate needs a literal stack name to derive per-stack resource names');
  return name;
}

const alphanumeric = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '');

/**
 * The value of the usage plan's one API key (the authorizer returns it as
 * `usageIdentifierKey`): `keygate` + the stack name's letters and digits (at most 64) + 12 hex
 * digits of SHA-256 over the exact stack name + the Region's letters and digits.
 *
 * Alphanumeric and at least 20 characters, as API Gateway requires of a key value. The hash
 * tells apart stack names that differ only in punctuation (`Keygate-Staging`,
 * `KeygateStaging`). It is not a secret: with apiKeySource AUTHORIZER a client cannot present
 * a usage key (docs/authorizer.md). In an environment-agnostic stack the Region is a deploy-time
 * value, so the result is an `Fn::Join` over `Fn::Split('-', AWS::Region)`; with an explicit
 * Region it is a literal string.
 *
 * `qualifier` tells apart several usage keys in one stack (`KeygateAuthorizer` passes its
 * construct path, so two protected APIs in one stack get two values); it joins the hashed text
 * only when given, so KeygateStack's value never changes.
 */
export function admittedUsageKeyValue(scope: IConstruct, qualifier?: string): string {
  const stackName = literalStackName(scope);
  const hashed = qualifier === undefined ? stackName : `${stackName}\n${qualifier}`;
  const digest = createHash('sha256').update(hashed, 'utf8').digest('hex').slice(0, 12);
  const prefix = `keygate${alphanumeric(stackName).slice(0, 64)}${digest}`;
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region)) return prefix + alphanumeric(region);
  return Fn.join('', [prefix, Fn.join('', Fn.split('-', Aws.REGION))]);
}

/** The EventBridge bus name: `<stackName>-events` (bus names allow `[/.\-_A-Za-z0-9]`, stack names `[A-Za-z][A-Za-z0-9-]*`). */
export function eventBusName(scope: IConstruct): string {
  return `${literalStackName(scope)}-events`;
}

/** The REST API's name. Not required to be unique, but two APIs both called `Api` are hard to tell apart in the console. */
export function restApiName(scope: IConstruct): string {
  return literalStackName(scope);
}

function stackDigest(scope: IConstruct, length: number): string {
  return createHash('sha256').update(literalStackName(scope), 'utf8').digest('hex').slice(0, length);
}

/** API Gateway sends access logs only to a delivery stream whose name starts with this. */
export const API_GATEWAY_FIREHOSE_PREFIX = 'amazon-apigateway-';

/**
 * The usage delivery stream's name: `amazon-apigateway-<stackName>` (Firehose names are unique
 * per account and Region, at most 64 characters of `[a-zA-Z0-9_.-]`). A stack name too long
 * for that is cut to 33 characters and followed by `-` and 12 hex digits of SHA-256 over the
 * whole name, so long names that share a start stay apart.
 */
export function usageDeliveryStreamName(scope: IConstruct): string {
  const stackName = literalStackName(scope);
  const full = `${API_GATEWAY_FIREHOSE_PREFIX}${stackName}`;
  if (full.length <= 64) return full;
  return `${API_GATEWAY_FIREHOSE_PREFIX}${stackName.slice(0, 33)}-${stackDigest(scope, 12)}`;
}

/**
 * The Glue database for usage data: `<stack_name>_usage_<8 hex>`, lower case with `_` for `-`
 * (Athena wants lower-case letters, digits and underscores). Stack names are case-sensitive, so
 * the digest over the exact name keeps `Keygate` and `keygate` apart.
 */
export function usageDatabaseName(scope: IConstruct): string {
  return `${literalStackName(scope).toLowerCase().replace(/-/g, '_')}_usage_${stackDigest(scope, 8)}`;
}

/** The Athena workgroup for usage reports: `<stackName>-usage` (workgroup names are unique per account and Region). */
export function usageWorkGroupName(scope: IConstruct): string {
  return `${literalStackName(scope)}-usage`;
}
