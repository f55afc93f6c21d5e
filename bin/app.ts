#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateStack, stackNameFromContext } from '../lib/keygate-stack';

const app = new App();

const stackName = stackNameFromContext(app.node);

// The construct id stays fixed; only the CloudFormation stack name follows the context,
// so renaming a deployment never changes logical IDs.
new KeygateStack(app, 'Keygate', {
  stackName,
  description: 'Keygate: self-hosted API-key management',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag v3 runs as a policy-validation plugin at synth time; findings fail `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
