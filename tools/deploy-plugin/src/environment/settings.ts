import { existsSync, readFileSync } from 'node:fs';
import { parse, type DotenvParseOptions } from '@dotenvx/dotenvx';
import { ConfigError, loadConfig, logLevel, z } from '@llmp/config';

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

/** Settings that hold secrets: masked in every log, and never printed. */
export const SECRET_SETTINGS = [
  'LLMP_STAGE_BASIC_AUTH_PASSWORD',
  'LLMP_SEED_ADMIN_PASSWORD',
  'LLMP_SEED_MANAGER_PASSWORD',
  'LLMP_SEED_USER_PASSWORD',
  'LLMP_POSTGRES_PASSWORD',
  'LLMP_INTERNAL_SECRET',
] as const;

/** Every setting a staged environment reads, from its dotenvx file or the process environment. */
export const SETTING_KEYS = ['LLMP_STAGE_TTL_HOURS', 'LLMP_STAGE_BASIC_AUTH_USER', ...SECRET_SETTINGS, 'LLMP_LOG_LEVEL'] as const;

// An empty value in the file means "not set", as it did for every consumer before parsing.
const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

const lifetimeHours = optionalText.transform((text, ctx) => {
  if (text === undefined) return 72;
  const hours = Number(text);
  if (Number.isFinite(hours) && hours > 0) return hours;
  ctx.addIssue({ code: 'custom', message: `must be a positive number of hours (got "${text}")` });
  return z.NEVER;
});

export const stageSettingsSchema = z.object({
  LLMP_STAGE_TTL_HOURS: lifetimeHours,
  LLMP_STAGE_BASIC_AUTH_USER: optionalText,
  ...Object.fromEntries(SECRET_SETTINGS.map((k) => [k, optionalText])) as Record<(typeof SECRET_SETTINGS)[number], typeof optionalText>,
  LLMP_LOG_LEVEL: z.preprocess((v) => (v === '' ? undefined : v), logLevel.optional()),
});

export type StageSettings = z.infer<typeof stageSettingsSchema>;

/**
 * The environment's settings, typed (pure). Every bad value is reported at once, naming the
 * variable and where it may come from; nothing falls back silently.
 */
export function parseStageSettings(values: Record<string, string | undefined>, source = 'the settings'): StageSettings {
  const known = Object.fromEntries(SETTING_KEYS.map((k) => [k, values[k]]));
  try {
    return loadConfig(stageSettingsSchema, known);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`${source} are invalid (fix the file or the variable):\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    throw error;
  }
}

/** The secret values among the settings (pure). */
export function secretSettingValues(settings: StageSettings): string[] {
  return SECRET_SETTINGS.map((k) => settings[k]).filter((v): v is string => Boolean(v));
}
