/** Reads the per-stage settings file named by KEYGATE_CONFIG (see core/settings.ts). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkSettingsFile, CONFIG_FILE_ENV, SettingsError } from '../core/settings';

/** The file's settings, or `{}` when KEYGATE_CONFIG is unset. Throws SettingsError naming the file and the problem. */
export function readSettingsFile(env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd()): Record<string, unknown> {
  const name = env[CONFIG_FILE_ENV];
  if (name === undefined || name === '') return {};
  const path = resolve(cwd, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SettingsError(`${CONFIG_FILE_ENV}=${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SettingsError(`${CONFIG_FILE_ENV}=${name}: not valid JSON (${(err as Error).message})`);
  }
  return checkSettingsFile(parsed, `${CONFIG_FILE_ENV}=${name}`);
}
