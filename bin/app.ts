#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettingsFile } from '../adapters/settings-file';
import { checkSettingNames, CONFIG_FILE_ENV } from '../core/settings';
import { KeygateStack, stackNameFromContext } from '../lib/keygate-stack';

// A per-stage file (KEYGATE_CONFIG=stages/prod.json) is layered over cdk.json context: its
// keys win over cdk.json and -c values (core/settings.ts; npm start reads it the same way).
const stageSettings = readSettingsFile();
const app = new App({ postCliContext: stageSettings });
checkSettingNames(app.node.getAllContext() as Record<string, unknown>, process.env[CONFIG_FILE_ENV] ? `cdk.json context + ${CONFIG_FILE_ENV}` : 'cdk.json context');

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
