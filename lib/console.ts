import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { keygateFunction } from './keygate-function';

/** tools/console-build.ts, run by the bundling hook (it builds the console when its sources changed, then copies it). */
const BUILD_SCRIPT = fileURLToPath(new URL('../tools/console-build.ts', import.meta.url));

export interface ConsoleSiteProps {
  /**
   * Memory of the console function. It serves files already in memory; more memory buys no speed
   * worth paying for.
   *
   * @default 128
   */
  readonly memorySize?: number;

  /**
   * Timeout of the console function.
   *
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;

  /**
   * Retention of the function's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the function's log group when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The web console's server: a small Lambda function whose asset holds the built console
 * (console/dist, copied in by the bundling hook, which first builds it when its sources changed,
 * so `cdk synth` needs no extra command). The function reads the files once per container and
 * answers GET /console and /console/{proxy+} with them and strict security headers
 * (core/console-assets.ts). `ManagementApi` routes those paths to it, without authorizer: the
 * console is public static code, and every API call it makes carries the user's key.
 *
 * Its role may only write its own log group: it reads no table, no key and no secret.
 */
export class ConsoleSite extends Construct implements iam.IGrantable {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps = {}) {
    super(scope, id);
    const node = process.execPath;
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const parts = keygateFunction(this, {
      ids: { function: 'Function', role: 'FunctionRole', logGroup: 'FunctionLogGroup' },
      entry: 'lambdas/console/handler.ts',
      description: 'Keygate: web console (static files at /console)',
      roleDescription: 'Keygate web console: writes its own log group, nothing else',
      memorySize: props.memorySize ?? 128,
      timeout: props.timeout ?? Duration.seconds(5),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        // The handler reads ./console/ beside its bundle (lambdas/console/handler.ts).
        afterBundling: (_inputDir: string, outputDir: string) => [`"${node}" "${tsx}" "${BUILD_SCRIPT}" --copy-to "${outputDir}/console"`],
      },
    });
    this.function = parts.function;
    this.logGroup = parts.logGroup;
    this.grantPrincipal = parts.function.grantPrincipal;
  }
}
