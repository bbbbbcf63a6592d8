import { createHash, randomBytes } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Byte triples of the final SHA-512 digest, in the order crypt(3) encodes them. */
const SHA512_ORDER: Array<[number, number, number]> = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

function sha512(...parts: Buffer[]): Buffer {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
}

function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

/**
 * SHA-512 crypt (`$6$`, Drepper's specification), the scheme `openssl passwd -6` writes and
 * nginx's auth_basic checks through crypt(3). Pure; 5000 rounds (the default, written without rounds=).
 */
export function sha512Crypt(password: string, salt: string): string {
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const B = sha512(P, S, P);
  const a = createHash('sha512').update(P).update(S).update(repeatTo(B, P.length));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  const A = a.digest();
  let dp = createHash('sha512');
  for (let i = 0; i < P.length; i++) dp.update(P);
  const PS = repeatTo(dp.digest(), P.length);
  dp = createHash('sha512');
  for (let i = 0; i < 16 + A[0]; i++) dp.update(S);
  const SS = repeatTo(dp.digest(), S.length);
  let C = A;
  for (let i = 0; i < 5000; i++) {
    const c = createHash('sha512');
    c.update(i & 1 ? PS : C);
    if (i % 3) c.update(SS);
    if (i % 7) c.update(PS);
    c.update(i & 1 ? C : PS);
    C = c.digest();
  }
  const hash = SHA512_ORDER.map(([x, y, z]) => encode24(C[x], C[y], C[z], 4)).join('') + encode24(0, 0, C[63], 2);
  return `$6$${S.toString('utf8')}$${hash}`;
}

export function randomSalt(length = 16): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ITOA64[b & 0x3f]).join('');
}

/** The salt of an htpasswd line for `user`, so that an unchanged password keeps an identical file (pure). */
export function htpasswdSalt(content: string, user: string): string | undefined {
  const line = content.split('\n').find((l) => l.startsWith(`${user}:$6$`));
  return line?.split('$')[2];
}

/** One htpasswd line for nginx auth_basic_user_file (pure when a salt is given). */
export function htpasswdLine(user: string, password: string, salt = randomSalt()): string {
  if (!/^[^:\s]+$/.test(user)) throw new Error(`basic-auth user "${user}" must not contain ":" or spaces`);
  return `${user}:${sha512Crypt(password, salt)}`;
}

/** URL-safe random secret (no characters that need escaping in a postgres:// URL). */
export function generateSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export interface Credentials {
  basicAuth: { user: string; password: string };
  users: { admin: string; manager: string; user: string };
  postgresPassword: string;
  internalSecret: string;
}

/** The settings credentials may come from (parsed settings, or any map of them). */
export type CredentialSettings = Partial<
  Record<'LLMP_STAGE_BASIC_AUTH_USER' | 'LLMP_STAGE_BASIC_AUTH_PASSWORD' | 'LLMP_SEED_ADMIN_PASSWORD' | 'LLMP_SEED_MANAGER_PASSWORD' | 'LLMP_SEED_USER_PASSWORD' | 'LLMP_POSTGRES_PASSWORD' | 'LLMP_INTERNAL_SECRET', string>
>;

export interface CredentialSources {
  existing?: Credentials;
  settings: CredentialSettings;
  generate: () => string;
}

/**
 * Configured values win, then the environment's stored ones, then fresh random ones. Exceptions:
 * the Postgres password and the bootstrap admin password are fixed once the database exists, so a
 * stored value wins over configuration for those (pure apart from `generate`).
 */
export function resolveCredentials({ existing, settings, generate }: CredentialSources): { credentials: Credentials; generated: string[] } {
  const generated: string[] = [];
  const pick = (name: string, configured: string | undefined, stored: string | undefined, storedWins = false): string => {
    if (storedWins && stored) return stored;
    if (configured) return configured;
    if (stored) return stored;
    generated.push(name);
    return generate();
  };
  const credentials: Credentials = {
    basicAuth: {
      user: settings['LLMP_STAGE_BASIC_AUTH_USER'] || existing?.basicAuth.user || 'llmp',
      password: pick('basic-auth password', settings['LLMP_STAGE_BASIC_AUTH_PASSWORD'], existing?.basicAuth.password),
    },
    users: {
      admin: pick('admin password', settings['LLMP_SEED_ADMIN_PASSWORD'], existing?.users.admin, true),
      manager: pick('manager password', settings['LLMP_SEED_MANAGER_PASSWORD'], existing?.users.manager),
      user: pick('user password', settings['LLMP_SEED_USER_PASSWORD'], existing?.users.user),
    },
    postgresPassword: pick('postgres password', settings['LLMP_POSTGRES_PASSWORD'], existing?.postgresPassword, true),
    internalSecret: pick('internal secret', settings['LLMP_INTERNAL_SECRET'], existing?.internalSecret),
  };
  if (credentials.internalSecret.length < 32) throw new Error('LLMP_INTERNAL_SECRET must be at least 32 characters');
  return { credentials, generated };
}

/** Every secret value of the credentials: the one list that is masked, redacted and never printed. */
export function secretsOf(c: Credentials | undefined): string[] {
  return c ? [c.basicAuth.password, c.users.admin, c.users.manager, c.users.user, c.postgresPassword, c.internalSecret] : [];
}
