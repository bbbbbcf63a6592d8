import { existsSync, readFileSync } from 'node:fs';
import { parse, type DotenvParseOptions } from '@dotenvx/dotenvx';

// parse() honours `ignore` (error codes not to print) although its type omits it.
const QUIET = { ignore: ['MISSING_PRIVATE_KEY', 'WRONG_PRIVATE_KEY', 'DECRYPTION_FAILED'] } as DotenvParseOptions;

export interface LoadedSettings {
  values: Record<string, string>;
  /** Keys whose encrypted values could not be read (no or wrong private key): left unset. */
  undecrypted: string[];
  /** Values that were stored encrypted: secrets to mask in every log. */
  secretValues: string[];
  file?: string;
}

/** `deploy/env/.env.staging` → `DOTENV_PRIVATE_KEY_STAGING` (dotenvx's naming) (pure). */
export function privateKeyVariable(envFile: string): string {
  const suffix = /\.env\.([\w-]+)$/.exec(envFile)?.[1];
  return suffix ? `DOTENV_PRIVATE_KEY_${suffix.toUpperCase().replace(/-/g, '_')}` : 'DOTENV_PRIVATE_KEY';
}

/**
 * Reads the environment's dotenvx file, decrypting `encrypted:` values with the private key from
 * the process environment. Without the key the encrypted entries are dropped (and reported), so a
 * fresh clone still stages, with generated credentials.
 */
export function loadSettings(path: string, processEnv: NodeJS.ProcessEnv): LoadedSettings {
  if (!existsSync(path)) return { values: {}, undecrypted: [], secretValues: [] };
  const src = readFileSync(path);
  const privateKey = processEnv[privateKeyVariable(path)];
  const plain = parse(src, { ...QUIET, processEnv: {} });
  const parsed = privateKey ? parse(src, { ...QUIET, processEnv: {}, privateKey }) : plain;
  const values: Record<string, string> = {};
  const undecrypted: string[] = [];
  const secretValues: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (key.startsWith('DOTENV_PUBLIC_KEY')) continue;
    if (value.startsWith('encrypted:')) {
      undecrypted.push(key);
      continue;
    }
    if (plain[key]?.startsWith('encrypted:')) secretValues.push(value);
    values[key] = value;
  }
  return { values, undecrypted, secretValues, file: path };
}

/** Settings from the file, overridden by the process environment (CI variables win) (pure). */
export function mergeSettings(file: Record<string, string>, processEnv: NodeJS.ProcessEnv, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { ...file };
  for (const key of keys) {
    const v = processEnv[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}
