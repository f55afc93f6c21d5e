import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { keygateFunction } from './keygate-function';
import type { UsageAnalytics } from './usage-analytics';

export interface UsageReportsFunctionProps {
  /** The usage pipeline whose Athena workgroup and table the reports query. */
  readonly analytics: UsageAnalytics;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default 512 */
  readonly memorySize?: number;
}

/**
 * The usage Lambda (lambdas/usage/handler.ts): serves `GET /v1/usage` (routes whose handler is
 * `usage` in core/routes.ts; ManagementApi integrates them). It may only run the usage reports
 * (`UsageAnalytics.bindReports`) and write its own log group: no key table, no KMS.
 *
 * Timeout 28 s: API Gateway ends an integration at 29 s; the handler waits at most 20 s for Athena
 * and then answers 202 with the query id, so the function normally returns well inside it.
 */
export class UsageReportsFunction extends Construct implements iam.IGrantable {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: UsageReportsFunctionProps) {
    super(scope, id);
    const parts = keygateFunction(this, {
      ids: { function: 'Function', role: 'Role', logGroup: 'LogGroup' },
      entry: 'lambdas/usage/handler.ts',
      description: 'Keygate: usage reports (GET /v1/usage) over Athena',
      roleDescription: 'Keygate usage reports: writes its own log group and runs the usage reports in the Athena workgroup',
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(28),
      environment: { POWERTOOLS_SERVICE_NAME: 'keygate-usage' },
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.logGroup = parts.logGroup;
    this.function = parts.function;
    this.grantPrincipal = this.function.grantPrincipal;
    props.analytics.bindReports(this.function);
  }
}
