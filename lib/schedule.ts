/**
 * What the scheduled Lambdas share: an EventBridge Scheduler schedule (UTC, no flexible window)
 * that invokes one function with the scheduled time as input, and a role of its own that may only
 * invoke that function. CfnSchedule, not the L2 `LambdaInvoke` target: that grants
 * `lambda:InvokeFunction` on the function and every version (`<arn>:*`), and the schedule only
 * ever invokes $LATEST.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';

export interface FunctionScheduleProps {
  readonly function: lambda.IFunction;
  /** EventBridge Scheduler expression, evaluated in UTC. */
  readonly expression: string;
  readonly description: string;
  readonly roleDescription: string;
}

/**
 * Adds `SchedulerRole` and `Schedule` under `scope` (construct ids are a contract). The input is
 * `{"scheduledTime": <aws.scheduler.scheduled-time>}`, so a retry works on the same scheduled time;
 * 3 retries within an hour (a run missed for longer than the period is the next run's work).
 */
export function scheduleFunction(scope: Construct, props: FunctionScheduleProps): { readonly role: iam.Role; readonly schedule: scheduler.CfnSchedule } {
  const role = new iam.Role(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: props.roleDescription,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.function.functionArn] }));
  const schedule = new scheduler.CfnSchedule(scope, 'Schedule', {
    description: props.description,
    scheduleExpression: props.expression,
    scheduleExpressionTimezone: 'UTC',
    flexibleTimeWindow: { mode: 'OFF' },
    state: 'ENABLED',
    target: {
      arn: props.function.functionArn,
      roleArn: role.roleArn,
      input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
    },
  });
  return { role, schedule };
}
