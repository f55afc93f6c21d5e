/**
 * The real CDK app (bin/app.ts), run as `cdk synth` runs it: a child process with cdk.json's
 * context in CDK_CONTEXT_JSON and an output directory in CDK_OUTDIR, plus a stage file named by
 * KEYGATE_CONFIG. Checks that the file's settings (operator routes included) reach the template,
 * and that an unknown `keygate:*` key fails synthesis naming it, wherever it comes from.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const cdkJson = JSON.parse(readFileSync(join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keygate-app-settings-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly outdir: string;
}

/** Runs bin/app.ts once; `context` replaces cdk.json's `keygate:*` values the way `-c` would. */
function synth(name: string, stageFile: Record<string, unknown> | undefined, context: Record<string, unknown> = {}): Run {
  const outdir = join(dir, `${name}.out`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] }),
    CDK_DEFAULT_ACCOUNT: '123456789012',
    CDK_DEFAULT_REGION: 'eu-west-1',
  };
  delete env.KEYGATE_CONFIG;
  if (stageFile) {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(stageFile));
    env.KEYGATE_CONFIG = file;
  }
  const result = spawnSync(process.execPath, [TSX, 'bin/app.ts'], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stderr: result.stderr, outdir };
}

describe('bin/app.ts with a KEYGATE_CONFIG stage file', () => {
  it("builds the file's operator routes into the stack the file names", () => {
    // Prepare + Act
    const run = synth('staging', {
      'keygate:stackName': 'KeygateStaging',
      'keygate:scopes': [{ name: 'orders:read', description: 'Read orders.' }],
      'keygate:routes': [{ name: 'getOrder', path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: 'https://orders.example.com/orders/{id}' }],
    });

    // Assess
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { properties?: { stackName?: string; templateFile?: string } }> };
    const stack = Object.values(manifest.artifacts).find((a) => a.properties?.stackName === 'KeygateStaging');
    expect(stack).toBeDefined();
    const template = JSON.parse(readFileSync(join(run.outdir, stack!.properties!.templateFile!), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const integrations = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGateway::Method')
      .map((r) => r.Properties.Integration as { Type?: string; Uri?: unknown });
    expect(integrations).toContainEqual(expect.objectContaining({ Type: 'HTTP_PROXY', Uri: 'https://orders.example.com/orders/{id}' }));
    const authorizerEnv = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .find((v) => v.POWERTOOLS_SERVICE_NAME === 'keygate-authorizer');
    expect(authorizerEnv?.KEYGATE_ROUTES).toBe('[["GET","/orders/{id}","orders:read",1]]');
  });

  it('fails naming an unknown keygate:* key in the file', () => {
    const run = synth('typo-file', { 'keygate:rotues': [] });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/KEYGATE_CONFIG=.*typo-file\.json: unknown setting "keygate:rotues"/);
  });

  it('fails naming an unknown keygate:* key in the cdk.json context', () => {
    const run = synth('typo-context', undefined, { 'keygate:cacheTTL': 5 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/cdk\.json context: unknown setting "keygate:cacheTTL"/);
  });

  it('hands keygate:auditRetentionDays to the keys Lambda, and fails naming it when out of range', () => {
    // Prepare + Act: a stage file, as an operator sets it
    const run = synth('audit-retention', { 'keygate:auditRetentionDays': 90 });
    const bad = synth('audit-retention-bad', undefined, { 'keygate:auditRetentionDays': '0' });

    // Assess
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { properties?: { templateFile?: string } }> };
    const templateFile = Object.values(manifest.artifacts).find((a) => a.properties?.templateFile)!.properties!.templateFile!;
    const template = JSON.parse(readFileSync(join(run.outdir, templateFile), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const keysEnv = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
      .find((v) => v.POWERTOOLS_SERVICE_NAME === 'keygate-keys');
    expect(keysEnv?.KEYGATE_AUDIT_RETENTION_DAYS).toBe('90');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/auditRetentionDays must be an integer from 1 to 3650 \(got "0"\)/);
  });

  it('keygate:auditExport=false from the command line builds no audit export', () => {
    const run = synth('audit-export-off', undefined, { 'keygate:auditExport': 'false' });
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(run.outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { properties?: { templateFile?: string } }> };
    const templateFile = Object.values(manifest.artifacts).find((a) => a.properties?.templateFile)!.properties!.templateFile!;
    const template = JSON.parse(readFileSync(join(run.outdir, templateFile), 'utf8')) as { Resources: Record<string, { Type: string }> };
    // Notifications has rules of its own on the bus; none of the audit export's may remain.
    expect(Object.entries(template.Resources).filter(([id, r]) => r.Type === 'AWS::Events::Rule' && id.startsWith('AuditExport'))).toEqual([]);
  });

  it('fails naming the route entry when a route in the file is bad', () => {
    const run = synth('bad-route', {
      'keygate:routes': [{ path: '/orders/{id}', methods: ['GET'], scopes: ['orders:read'], upstream: 'https://orders.example.com/orders/{id}' }],
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/keygate:routes\[0\] \(GET \/orders\/\{id\}\): scope "orders:read" is not defined/);
  });
});
