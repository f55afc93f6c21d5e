import { type CfnElement, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ROUTES } from '../../core/routes';
import { resolveDeployment } from '../../core/settings';
import { buildKeygate, type BuiltKeygate, removeBuilds } from './keygate-app';

/** The example stage file operators copy (examples/stages/prod.example.json). */
const EXAMPLE_STAGE_FILE = fileURLToPath(new URL('../../examples/stages/prod.example.json', import.meta.url));

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every `Validations.of(x).acknowledge(...)` in the tree, read back from construct metadata. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/**
 * The IAM5 findings the usage delivery stream's role is acknowledged for: object writes under
 * its two prefixes of the usage bucket (cdk-nag spells the bucket ARN with its logical id).
 */
function usageIam5Findings(b: BuiltKeygate): string[] {
  const bucket = b.stack.getLogicalId(b.stack.usageAnalytics!.bucket.node.defaultChild as CfnElement);
  return ['usage', 'usage-errors'].map((prefix) => `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${prefix}/*]`);
}

/** The IAM5 findings each function that runs usage reports is acknowledged for: reading usage/, writing athena-results/. */
function reportIam5Findings(b: BuiltKeygate): string[] {
  const bucket = b.stack.getLogicalId(b.stack.usageAnalytics!.bucket.node.defaultChild as CfnElement);
  return ['usage', 'athena-results'].map((prefix) => `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${prefix}/*]`);
}

/** The IAM5 findings the audit export's delivery stream role is acknowledged for: object writes under audit/ and audit-errors/. */
function auditIam5Findings(b: BuiltKeygate): string[] {
  const bucket = b.stack.getLogicalId(b.stack.usageAnalytics!.bucket.node.defaultChild as CfnElement);
  return ['audit', 'audit-errors'].map((prefix) => `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/${prefix}/*]`);
}

/** Acknowledgements UsageAnalytics and the audit export add (both on by default). */
function usageAcks(b: BuiltKeygate): string[] {
  return [
    'AwsSolutions-S1 @ Keygate/UsageAnalytics/Bucket',
    ...auditIam5Findings(b).map((id) => `${id} @ Keygate/AuditExport/DeliveryStreamRole`),
    ...usageIam5Findings(b).map((id) => `${id} @ Keygate/UsageAnalytics/DeliveryStreamRole`),
    ...reportIam5Findings(b).flatMap((id) => [`${id} @ Keygate/UsageReports/Role`, `${id} @ Keygate/ManagementApi/KeysFunctionRole`, `${id} @ Keygate/UsageAnomalies/FunctionRole`]),
  ];
}

let k: BuiltKeygate;
beforeAll(() => {
  k = buildKeygate();
});
afterAll(removeBuilds);

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, errors or warnings', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(k.app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges the leak report as unauthenticated for its own reason, not as a liveness probe', () => {
    const apig4 = acknowledgements(k.app).filter((a) => a.id === 'AwsSolutions-APIG4');
    const leak = apig4.find((a) => a.path.endsWith('/Default/v1/keys/revoke-leaked/POST'));
    expect(leak?.reason).toMatch(/^POST \/v1\/keys\/revoke-leaked: the leak report\. Possession of a key is the authority/);
    expect(leak?.reason).toMatch(/per source IP/);
    expect(apig4.find((a) => a.path.endsWith('/Default/health/GET'))?.reason).toMatch(/liveness probe/);
    expect(apig4.filter((a) => a.reason.includes('liveness'))).toHaveLength(1);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = acknowledgements(k.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.trim().length, `${ack.id} on ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('acknowledges only the findings that were reviewed, on the constructs they concern', () => {
    const acks = acknowledgements(k.app).map((a) => `${a.id} @ ${a.path.replace(/^Keygate\/ManagementApi\/Api\//, '')}`);
    const methodPath = (method: string, path: string): string => `Default${path}/${method}`;
    const expected = [
      'AwsSolutions-APIG2 @ Resource',
      'AwsSolutions-APIG3 @ DeploymentStage.prod',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs] @ CloudWatchRole',
      ...ROUTES.map((r) => `AwsSolutions-COG4 @ ${methodPath(r.method, r.path)}`),
      ...ROUTES.filter((r) => !r.authorized).map((r) => `AwsSolutions-APIG4 @ ${methodPath(r.method, r.path)}`),
      ...usageAcks(k),
    ];
    expect(acks.sort()).toEqual(expected.sort());
  });

  it('still finds those rules when the acknowledgements are removed (the check is live)', () => {
    const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    try {
      const bare = buildKeygate({ bundle: false });
      const rules = new AwsSolutionsChecks().validateScope(bare.app).violations.map((v) => v.ruleName);
      expect(rules.sort()).toEqual(
        [
          'AwsSolutions-APIG2',
          'AwsSolutions-APIG3',
          'AwsSolutions-APIG4',
          'AwsSolutions-COG4',
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          'AwsSolutions-S1',
          ...new Set([...usageIam5Findings(bare), ...reportIam5Findings(bare), ...auditIam5Findings(bare)]),
        ].sort(),
      );
    } finally {
      acknowledge.mockRestore();
    }
  });
});

describe('cdk-nag AwsSolutions with operator routes (examples/stages/prod.example.json)', () => {
  it('reports no unacknowledged finding, and acknowledges only COG4 on each operator method', () => {
    // Prepare: the example file layered over cdk.json as bin/app.ts does, in the Region of its Lambda target
    const prod = buildKeygate({ bundle: false, settingsFile: EXAMPLE_STAGE_FILE, env: { account: '123456789012', region: 'eu-west-1' } });
    const { routes } = resolveDeployment((key) => prod.stack.node.tryGetContext(key));

    // Act
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(prod.app);
    const acks = acknowledgements(prod.app)
      .filter((a) => !ROUTES.some((r) => a.path.endsWith(`/Default${r.path}/${r.method}`)))
      .map((a) => `${a.id} @ ${a.path.replace(/^Keygate\/ManagementApi\/Api\//, '')}`);

    // Assess
    expect(prod.stack.stackName).toBe('KeygateProd');
    expect(routes.length).toBeGreaterThanOrEqual(4);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(acks.sort()).toEqual(
      [
        'AwsSolutions-APIG2 @ Resource',
        'AwsSolutions-APIG3 @ DeploymentStage.prod',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs] @ CloudWatchRole',
        ...routes.map((r) => `AwsSolutions-COG4 @ Default${r.path}/${r.method}`),
        ...usageAcks(prod),
      ].sort(),
    );
  });
});
