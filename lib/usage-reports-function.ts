import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerEntry, LAMBDA_ARCHITECTURE, LAMBDA_BASE_ENVIRONMENT, LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './key-authorizer';
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
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Keygate usage reports: writes its own log group and runs the usage reports in the Athena workgroup',
    });
    this.logGroup.grantWrite(role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: handlerEntry('lambdas/usage/handler.ts'),
      handler: 'handler',
      description: 'Keygate: usage reports (GET /v1/usage) over Athena',
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(28),
      role,
      logGroup: this.logGroup,
      bundling: LAMBDA_BUNDLING,
      environment: { ...LAMBDA_BASE_ENVIRONMENT, POWERTOOLS_SERVICE_NAME: 'keygate-usage' },
    });
    this.grantPrincipal = this.function.grantPrincipal;
    props.analytics.bindReports(this.function);
  }
}
