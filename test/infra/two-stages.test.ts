/**
 * Two Keygate stacks in one account and Region (issue 6, items 9 and 10): nothing that must be
 * unique per account and Region may be the same in both, and a failed first create must leave
 * nothing behind.
 */
import type { Environment } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMITTED_USAGE_KEY } from '../../core/config';
import { buildKeygate, type BuiltKeygate, removeBuilds } from './keygate-app';

afterAll(removeBuilds);

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/**
 * Evaluates the intrinsic functions Keygate's templates use, the way CloudFormation would in
 * one account and Region: pseudo parameters are that account and Region, and a `Ref` or
 * `Fn::GetAtt` of one of the stack's own resources is a value CloudFormation generates for
 * that stack (modelled as `<stackName>/<logicalId>`, unique per stack as the real ones are).
 * Any other intrinsic fails the test, so a new one cannot slip through unevaluated.
 */
function evaluate(value: Json, stackName: string, resources: Resources): Json {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, stackName, resources));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, Json>);
  if (entries.length !== 1 || !(entries[0]![0] === 'Ref' || entries[0]![0].startsWith('Fn::'))) {
    return Object.fromEntries(entries.map(([k, v]) => [k, evaluate(v, stackName, resources)]));
  }
  const [fn, arg] = entries[0]!;
  const str = (v: Json): string => {
    const r = evaluate(v, stackName, resources);
    if (typeof r !== 'string') throw new Error(`expected a string, got ${JSON.stringify(r)}`);
    return r;
  };
  const list = (v: Json): string[] => {
    const r = evaluate(v, stackName, resources);
    if (!Array.isArray(r)) throw new Error(`expected a list, got ${JSON.stringify(r)}`);
    return r.map((x) => String(x));
  };
  switch (fn) {
    case 'Ref': {
      const pseudo: Record<string, string> = {
        'AWS::StackName': stackName,
        'AWS::Region': REGION,
        'AWS::AccountId': ACCOUNT,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const name = arg as string;
      if (pseudo[name] !== undefined) return pseudo[name];
      if (resources[name]) return `${stackName}/${name}`;
      throw new Error(`Ref to unknown ${name}`);
    }
    case 'Fn::GetAtt': {
      const [id, attr] = arg as [string, string];
      if (!resources[id]) throw new Error(`GetAtt of unknown ${id}`);
      return `${stackName}/${id}.${attr}`;
    }
    case 'Fn::Join': {
      const [sep, parts] = arg as [string, Json];
      return list(parts).join(sep);
    }
    case 'Fn::Split': {
      const [sep, source] = arg as [string, Json];
      return str(source).split(sep);
    }
    case 'Fn::Select': {
      const [i, items] = arg as [number, Json];
      return list(items)[i];
    }
    default:
      throw new Error(`intrinsic ${fn} is not modelled; extend evaluate()`);
  }
}

/**
 * Names scoped inside a parent resource, not the account: they may repeat across stacks.
 * Everything else whose property name ends in `Name`, plus API key values, is collected.
 */
const SCOPED_TO_PARENT: Readonly<Record<string, readonly string[]>> = {
  'AWS::IAM::Policy': ['PolicyName'], // inline policy of one role
  'AWS::ApiGateway::Stage': ['StageName'], // stage of one API
  'AWS::ApiGateway::Method': ['OperationName'], // method of one API
  'AWS::ApiGateway::Authorizer': ['Name'], // authorizer of one API
  'AWS::Lambda::Permission': ['FunctionName'], // refers to the function, names nothing
  'AWS::Athena::NamedQuery': ['Name'], // saved query of one workgroup, identified by a generated id
  'AWS::CloudWatch::Alarm': ['MetricName'], // the metric an alarm watches, names nothing (AlarmName is checked)
};

interface PhysicalName {
  readonly what: string;
  readonly value: string;
}

/** Every account- and Region-wide physical name or key value in the template, evaluated. */
function physicalNames(k: BuiltKeygate): PhysicalName[] {
  const resources = k.template.toJSON().Resources as Resources;
  const out: PhysicalName[] = [];
  for (const [id, r] of Object.entries(resources)) {
    for (const [prop, raw] of Object.entries(r.Properties ?? {})) {
      const isName = /Name$/.test(prop) && !(SCOPED_TO_PARENT[r.Type] ?? []).includes(prop);
      const isKeyValue = r.Type === 'AWS::ApiGateway::ApiKey' && prop === 'Value';
      // The Glue database's name sits one level down, in DatabaseInput.
      if (r.Type === 'AWS::Glue::Database' && prop === 'DatabaseInput') {
        out.push({ what: 'AWS::Glue::Database DatabaseInput.Name', value: String(evaluate((raw as { Name: Json }).Name, k.stack.stackName, resources)) });
        continue;
      }
      if (!isName && !isKeyValue) continue;
      const value = evaluate(raw, k.stack.stackName, resources);
      if (typeof value !== 'string') throw new Error(`${id}.${prop} did not evaluate to a string`);
      out.push({ what: `${r.Type} ${prop}`, value });
    }
  }
  return out;
}

function twoStacks(env?: Environment): [BuiltKeygate, BuiltKeygate] {
  return [
    buildKeygate({ bundle: false, ...(env ? { env } : {}) }),
    buildKeygate({ bundle: false, context: { 'keygate:stackName': 'KeygateStaging' }, ...(env ? { env } : {}) }),
  ];
}

describe.each([
  ['environment-agnostic (Region known only at deploy time)', undefined],
  ['with an explicit account and Region', { account: ACCOUNT, region: REGION }],
] as const)('two stacks, %s', (_name, env) => {
  const [prod, staging] = twoStacks(env);

  it('are the same app under two stack names', () => {
    expect([prod.stack.stackName, staging.stack.stackName]).toEqual(['Keygate', 'KeygateStaging']);
    expect(prod.stack.node.id).toBe(staging.stack.node.id);
  });

  it('have no physical name or API key value in common', () => {
    const a = physicalNames(prod);
    const b = physicalNames(staging);
    // The walk found what it must find, so an empty intersection means something.
    for (const names of [a, b]) {
      expect(names.map((n) => n.what)).toEqual(
        expect.arrayContaining([
          'AWS::ApiGateway::ApiKey Value',
          'AWS::Events::EventBus Name',
          'AWS::ApiGateway::RestApi Name',
          'AWS::Logs::LogGroup LogGroupName',
          'AWS::KinesisFirehose::DeliveryStream DeliveryStreamName',
          'AWS::Glue::Database DatabaseInput.Name',
          'AWS::Athena::WorkGroup Name',
        ]),
      );
    }
    const shared = a.filter((x) => b.some((y) => y.value === x.value));
    expect(shared).toEqual([]);
  });

  it('name the bus after the stack and give the usage plan an alphanumeric key of 20+ characters', () => {
    for (const k of [prod, staging]) {
      const names = physicalNames(k);
      expect(names.find((n) => n.what === 'AWS::Events::EventBus Name')?.value).toBe(`${k.stack.stackName}-events`);
      const key = names.find((n) => n.what === 'AWS::ApiGateway::ApiKey Value')!.value;
      expect(key).toMatch(/^[A-Za-z0-9]{20,128}$/);
      expect(key).toContain('euwest1');
      expect(key).not.toBe(ADMITTED_USAGE_KEY);
    }
  });

  it('hand the authorizer the same key value the usage plan holds', () => {
    for (const k of [prod, staging]) {
      const resources = k.template.toJSON().Resources as Resources;
      const apiKey = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::ApiKey')!;
      const fn = Object.values(resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && (r.Properties?.Environment as { Variables: Record<string, Json> }).Variables.KEYGATE_ADMITTED_USAGE_KEY !== undefined,
      )!;
      const fromEnv = (fn.Properties!.Environment as { Variables: Record<string, Json> }).Variables.KEYGATE_ADMITTED_USAGE_KEY;
      expect(evaluate(fromEnv, k.stack.stackName, resources)).toBe(evaluate(apiKey.Properties!.Value, k.stack.stackName, resources));
    }
  });
});

describe('usage-plan key value', () => {
  it('tells apart stack names that differ only in punctuation', () => {
    const value = (stackName: string): string => {
      const k = buildKeygate({ bundle: false, context: { 'keygate:stackName': stackName }, env: { account: ACCOUNT, region: REGION } });
      return physicalNames(k).find((n) => n.what === 'AWS::ApiGateway::ApiKey Value')!.value;
    };
    expect(value('Keygate-Staging')).not.toBe(value('KeygateStaging'));
    expect(value('Keygate-Staging')).toBe(value('Keygate-Staging'));
  });

  it('rejects a keygate:stackName CloudFormation would reject', () => {
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:stackName': 'keygate_staging' } })).toThrow(/keygate:stackName/);
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:stackName': '' } })).toThrow(/keygate:stackName/);
  });
});

describe('a failed first create leaves nothing behind', () => {
  const k = buildKeygate({ bundle: false });
  const resources = k.template.toJSON().Resources as Resources;
  const STATEFUL = ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::IAM::Role'];

  it.each(['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Logs::LogGroup'])(
    'every %s is RetainExceptOnCreate with UpdateReplacePolicy Retain',
    (type) => {
      const all = Object.values(resources).filter((r) => r.Type === type);
      expect(all.length).toBeGreaterThan(0);
      for (const r of all) expect([r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
    },
  );

  it('no resource at all is plain Retain (which would survive a rollback of its own create)', () => {
    const plainRetain = Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id, r]) => `${r.Type} ${id}`);
    expect(plainRetain).toEqual([]);
    // the account-level API Gateway logging role is retained the same way
    const roles = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role' && r.DeletionPolicy !== undefined);
    expect(roles.map((r) => r.DeletionPolicy)).toEqual(['RetainExceptOnCreate']);
    expect(STATEFUL.every((t) => Object.values(resources).some((r) => r.Type === t))).toBe(true);
  });

  it('keeps table deletion protection on by default, and lets a first deploy turn it off', () => {
    const tables = (b: BuiltKeygate) => Object.values(b.template.findResources('AWS::DynamoDB::Table')) as { Properties: Record<string, Json> }[];
    expect(tables(k).map((t) => t.Properties.DeletionProtectionEnabled)).toEqual([true, true]);
    const firstDeploy = buildKeygate({ bundle: false, context: { 'keygate:tableDeletionProtection': 'false' } });
    expect(tables(firstDeploy).map((t) => t.Properties.DeletionProtectionEnabled ?? false)).toEqual([false, false]);
    expect(() => buildKeygate({ bundle: false, context: { 'keygate:tableDeletionProtection': 'off' } })).toThrow(/tableDeletionProtection/);
  });

  it('lets a second stage leave the account-level API Gateway logging role to the first', () => {
    const staging = buildKeygate({ bundle: false, context: { 'keygate:stackName': 'KeygateStaging', 'keygate:cloudWatchRole': false } });
    staging.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    // The six function roles (authorizer, keys, console, usage reports, anomaly detection, expiry
    // scan), the usage delivery stream's, the anomaly and expiry schedules' and the audit export's
    // two (its delivery stream, its EventBridge rule): no CloudWatch role among them.
    staging.template.resourceCountIs('AWS::IAM::Role', 11);
    expect(Object.keys(staging.template.findResources('AWS::IAM::Role')).filter((id) => id.includes('CloudWatchRole'))).toEqual([]);
    k.template.resourceCountIs('AWS::ApiGateway::Account', 1);
  });
});
