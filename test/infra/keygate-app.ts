/**
 * Builds Keygate the way `cdk synth` does: same stack class, same cdk.json context
 * (feature flags and `keygate:*` settings), so the infra tests see the real template.
 */
import { readFileSync, rmSync } from 'node:fs';
import { App, type Environment, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readSettingsFile } from '../../adapters/settings-file';
import { CONFIG_FILE_ENV } from '../../core/settings';
import { KeygateStack, stackNameFromContext } from '../../lib/keygate-stack';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

export interface BuiltKeygate {
  readonly app: App;
  readonly stack: KeygateStack;
  readonly template: Template;
}

export interface BuildOptions {
  /** Extra context on top of cdk.json's. */
  readonly context?: Record<string, unknown>;
  /**
   * Run esbuild for the Lambda assets. Off for the cheap variant stacks some tests build
   * in addition to the main one; the main one always bundles, as `cdk synth` does.
   */
  readonly bundle?: boolean;
  /** Account and Region, as `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION` give bin/app.ts. @default environment-agnostic */
  readonly env?: Environment;
  /** A stage settings file layered over the context, as bin/app.ts does with `KEYGATE_CONFIG`. @default none */
  readonly settingsFile?: string;
}

const built: App[] = [];

export function buildKeygate(options: BuildOptions = {}): BuiltKeygate {
  const context: Record<string, unknown> = { ...cdkJson.context, ...options.context };
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  const stageSettings = options.settingsFile ? readSettingsFile({ [CONFIG_FILE_ENV]: options.settingsFile }) : {};
  const app = new App({ context, postCliContext: stageSettings });
  built.push(app);
  // As bin/app.ts: construct id `Keygate`, stack name from `keygate:stackName`.
  const stack = new KeygateStack(app, 'Keygate', { stackName: stackNameFromContext(app.node), ...(options.env ? { env: options.env } : {}) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Deletes the temporary cloud assemblies (bundles included) the builds wrote; call from afterAll. */
export function removeBuilds(): void {
  for (const app of built.splice(0)) rmSync(app.outdir, { recursive: true, force: true });
}

/** `stack.resolve` for a token, e.g. `{ 'Fn::GetAtt': ['KeyStoreTable…', 'Arn'] }`, so tests never spell a hashed id. */
export function ref(stack: Stack, token: unknown): unknown {
  return stack.resolve(token);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement in every identity policy attached to the role, plus its managed policy ARNs. */
export function roleStatements(template: Template, roleLogicalId: string): { statements: Statement[]; managedPolicyArns: unknown[] } {
  const statements: Statement[] = [];
  const role = template.toJSON().Resources[roleLogicalId] as { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[]; ManagedPolicyArns?: unknown[] } };
  for (const inline of role.Properties.Policies ?? []) statements.push(...inline.PolicyDocument.Statement);
  const policies = template.findResources('AWS::IAM::Policy');
  for (const policy of Object.values(policies) as { Properties: { Roles?: unknown[]; PolicyDocument: { Statement: Statement[] } } }[]) {
    const attached = (policy.Properties.Roles ?? []).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }));
    if (attached) statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  return { statements, managedPolicyArns: role.Properties.ManagedPolicyArns ?? [] };
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Logical id behind a `{ 'Fn::GetAtt': [id, 'Arn'] }` or `{ Ref: id }`. */
export function logicalIdOf(resolved: unknown): string {
  const r = resolved as { 'Fn::GetAtt'?: [string, string]; Ref?: string };
  const id = r['Fn::GetAtt']?.[0] ?? r.Ref;
  if (!id) throw new Error(`not a Ref/GetAtt: ${JSON.stringify(resolved)}`);
  return id;
}

export interface BuiltMethod {
  readonly method: string;
  /** Resource path rebuilt from the template's resources, e.g. `/orders/{id}`. */
  readonly path: string;
  readonly properties: Record<string, unknown>;
}

/** Every `AWS::ApiGateway::Method` with its resource path, so tests find methods by route, not by logical id. */
export function apiMethods(template: Template): BuiltMethod[] {
  const all = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const pathOf = (resourceId: unknown): string => {
    const r = resourceId as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (r['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const res = all[r.Ref!]!;
    return `${pathOf(res.Properties.ParentId)}/${String(res.Properties.PathPart)}`;
  };
  return Object.values(all)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((m) => ({ method: String(m.Properties.HttpMethod), path: pathOf(m.Properties.ResourceId) || '/', properties: m.Properties }));
}
