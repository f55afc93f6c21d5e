/**
 * The authorizer bundle as CDK builds it (lib/key-authorizer.ts: LAMBDA_BUNDLING on
 * LAMBDA_RUNTIME), its size, and how long a fresh `node` takes to import it.
 *
 * The esbuild options are derived from LAMBDA_BUNDLING the way aws-cdk-lib's NodejsFunction
 * turns them into esbuild arguments (target from the runtime name, platform node, bundle,
 * no externals because bundleAwsSDK is on), so the bench follows the construct if it changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build, type BuildOptions, version as esbuildVersion } from 'esbuild';
import { configToEnv, DEFAULT_CONFIG, INFRA_ENV } from '../core/config';
import { summarize, type Summary } from './stats';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'lambdas/authorizer/handler.ts';

export interface LoadRun {
  readonly label: string;
  readonly env: Readonly<Record<string, string>>;
  /** import() of the bundle, measured inside the child with performance.now(). */
  readonly importMs: Summary;
  /** performance.now() after the import: process start (timeOrigin) to handler ready. */
  readonly readyMs: Summary;
  /** spawn to exit, measured by the parent. */
  readonly wallMs: Summary;
}

export interface BundleResult {
  readonly esbuildVersion: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly runtime: string;
  readonly architecture: string;
  readonly bytes: number;
  readonly deflatedBytes: number;
  readonly mapBytes: number;
  readonly topInputs: readonly { readonly name: string; readonly bytes: number }[];
  readonly buildMs: number;
  readonly loadRuns: readonly LoadRun[];
  readonly childCommand: string;
  readonly loads: number;
}

/** The import probe each child runs: file URL of the bundle in argv[2]. */
const PROBE = `const t0 = performance.now();
const mod = await import(process.argv[2]);
const t1 = performance.now();
if (typeof mod.handler !== 'function') throw new Error('bundle exports no handler');
process.stdout.write(JSON.stringify({ importMs: t1 - t0, readyMs: t1 }));
`;

function packageOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1]! : 'keygate (own code)';
}

/** `entry`: the handler to bundle, repository-relative (bench/metrics.ts compares a variant). */
export async function benchBundle(loads: number, log: (line: string) => void, entry: string = ENTRY): Promise<BundleResult> {
  // Imported here, not at the top: it loads aws-cdk-lib, which must not weigh on the memory figures.
  const { LAMBDA_ARCHITECTURE, LAMBDA_BASE_ENVIRONMENT, LAMBDA_BUNDLING, LAMBDA_RUNTIME } = await import('../lib/key-authorizer');
  const runtimeMajor = /nodejs(\d+)/.exec(LAMBDA_RUNTIME.name)?.[1];
  if (!runtimeMajor) throw new Error(`cannot derive an esbuild target from runtime ${LAMBDA_RUNTIME.name}`);
  const dir = mkdtempSync(join(tmpdir(), 'keygate-bench-bundle-'));
  try {
    const outfile = join(dir, LAMBDA_BUNDLING.format === 'esm' ? 'index.mjs' : 'index.js');
    const options = {
      entryPoints: [join(REPO_ROOT, entry)],
      bundle: true,
      platform: 'node',
      target: `node${runtimeMajor}`,
      format: LAMBDA_BUNDLING.format === 'esm' ? 'esm' : 'cjs',
      mainFields: [...(LAMBDA_BUNDLING.mainFields ?? [])],
      minify: LAMBDA_BUNDLING.minify ?? false,
      sourcemap: LAMBDA_BUNDLING.sourceMap ?? false,
      sourcesContent: LAMBDA_BUNDLING.sourcesContent ?? true,
      banner: LAMBDA_BUNDLING.banner ? { js: LAMBDA_BUNDLING.banner } : undefined,
      external: LAMBDA_BUNDLING.bundleAwsSDK ? [] : ['@aws-sdk/*'],
    } satisfies BuildOptions;
    const t0 = performance.now();
    const result = await build({ ...options, outfile, absWorkingDir: REPO_ROOT, metafile: true, logLevel: 'silent' });
    const buildMs = performance.now() - t0;
    const code = readFileSync(outfile);
    const mapBytes = LAMBDA_BUNDLING.sourceMap ? statSync(`${outfile}.map`).size : 0;
    const byPackage = new Map<string, number>();
    for (const out of Object.values(result.metafile.outputs)) {
      for (const [path, input] of Object.entries(out.inputs)) byPackage.set(packageOf(path), (byPackage.get(packageOf(path)) ?? 0) + input.bytesInOutput);
    }
    const topInputs = [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, bytes]) => ({ name, bytes }));
    log(`bundle: ${code.length} bytes in ${buildMs.toFixed(0)} ms`);

    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    // Only what the function gets in AWS (plus PATH); fake credentials, never real ones.
    const baseEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...configToEnv(DEFAULT_CONFIG),
      [INFRA_ENV.tableName]: 'keygate-bench-keys',
      [INFRA_ENV.counterTableName]: 'keygate-bench-counters',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench-fake-access-key-id',
      AWS_SECRET_ACCESS_KEY: 'bench-fake-secret-access-key',
      // Lambda runs Node 22+, where the SDK prints no Node-version warning; keep the local child comparable.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const variants = [
      { label: `as deployed (NODE_OPTIONS=${LAMBDA_BASE_ENVIRONMENT.NODE_OPTIONS ?? ''})`, env: { ...baseEnv, ...LAMBDA_BASE_ENVIRONMENT } },
      { label: 'without source maps (no NODE_OPTIONS)', env: baseEnv },
    ];
    const bundleUrl = pathToFileURL(outfile).href;
    const runOnce = (env: Record<string, string>) => {
      const start = performance.now();
      const r = spawnSync(process.execPath, [probe, bundleUrl], { env, encoding: 'utf8', timeout: 30_000 });
      const wall = performance.now() - start;
      if (r.status !== 0) throw new Error(`bundle import failed (status ${r.status}): ${r.stderr || r.error?.message}`);
      const parsed = JSON.parse(r.stdout) as { importMs: number; readyMs: number };
      return { ...parsed, wall };
    };
    runOnce(baseEnv); // warms the OS file cache; not counted
    const loadRuns: LoadRun[] = variants.map((v) => {
      const runs = Array.from({ length: loads }, () => runOnce(v.env));
      log(`cold import ${v.label}: median ${summarize(runs.map((r) => r.importMs)).p50.toFixed(1)} ms`);
      return {
        label: v.label,
        env: v.env,
        importMs: summarize(runs.map((r) => r.importMs)),
        readyMs: summarize(runs.map((r) => r.readyMs)),
        wallMs: summarize(runs.map((r) => r.wall)),
      };
    });
    return {
      esbuildVersion,
      options: { ...options, entryPoints: [entry], outfile: `<tmp>/${relative(dir, outfile)}` },
      runtime: LAMBDA_RUNTIME.name,
      architecture: LAMBDA_ARCHITECTURE.name,
      bytes: code.length,
      deflatedBytes: deflateRawSync(code, { level: 9 }).length,
      mapBytes,
      topInputs,
      buildMs,
      loadRuns,
      childCommand: `node <tmp>/probe.mjs file://<tmp>/${relative(dir, outfile)}`,
      loads,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
