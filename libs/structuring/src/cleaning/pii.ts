import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { isChatRecord, type DatasetRecord } from '../records/record';
import { countingPass, preparedResults, type CleaningPass } from './cleaning-pass';

/**
 * Personal data and secrets found in text, and redacted.
 *
 * Every pattern runs in linear time on any input: each starts only at a token
 * boundary (a negative lookbehind on its own first character class), its
 * repetitions are bounded or cannot exchange characters with what follows,
 * and checks that a pattern cannot express (Luhn, IBAN mod-97, octet ranges,
 * entropy) run in code on the few candidates.
 */
export const PII_KINDS = ['email', 'phone', 'credit_card', 'iban', 'ip_address', 'secret'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
  value: string;
}

const EMAIL = /(?<![\w.%+-])[\w.%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}(?![\w-])/gi;
const PHONE = /(?<![\w+./-])(?:\+\d{8,15}|(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,8}){1,5})(?![\w/-]|\.\d)/g;
const CARD = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;
const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])/gi;
/** Keys with a recognisable prefix: OpenAI/Anthropic, AWS, GitHub, Slack, Google, Stripe; JWTs; PEM private keys. */
const KNOWN_SECRETS = [
  /(?<![\w-])sk-[\w-]{20,}/g,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g,
  /(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})(?!\w)/g,
  /(?<![\w-])xox[abprs]-[A-Za-z0-9-]{10,}/g,
  /(?<![\w-])AIza[\w-]{35}(?![\w-])/g,
  /(?<!\w)[rsp]k_(?:live|test)_[0-9A-Za-z]{16,}/g,
  /(?<![\w-])eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g,
  /-----BEGIN (?:[A-Z]{1,10} )?PRIVATE KEY-----/g,
];
/** Long tokens of base64/base62 characters; kept only when mixed and random-looking. */
const LONG_TOKEN = /(?<![\w+/=-])[\w+/-]{32,512}={0,2}(?![\w+/=-])/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double && (d *= 2) > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
function cardIssuer(digits: string): boolean {
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  const n = digits.length;
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16;
  if (two === 34 || two === 37) return n === 15;
  if (four === 6011 || two === 65 || (four >= 6440 && four <= 6499)) return n >= 16;
  if (four >= 3528 && four <= 3589) return n >= 16;
  if (two === 36 || two === 38 || (four >= 3000 && four <= 3059)) return n >= 14;
  if (two === 62) return n >= 16;
  if (two === 50 || (two >= 56 && two <= 69)) return n >= 12;
  return false;
}

/** IBAN lengths by country, for the countries where they are fixed and common. */
const IBAN_LENGTHS: Record<string, number> = {
  AT: 20, BE: 16, CH: 21, CZ: 24, DE: 22, DK: 18, ES: 24, FI: 18, FR: 27, GB: 22, GR: 27, IE: 22, IT: 27, LU: 20, NL: 18, NO: 15, PL: 28, PT: 25, SE: 24,
};

function ibanValid(compact: string): boolean {
  const expected = IBAN_LENGTHS[compact.slice(0, 2)];
  if (expected ? compact.length !== expected : compact.length < 15 || compact.length > 34) return false;
  // mod 97 of the rearranged number, a digit (or letter as two digits) at a time: no big integers.
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    remainder = c <= 57 ? (remainder * 10 + (c - 48)) % 97 : (remainder * 100 + (c - 55)) % 97;
  }
  return remainder === 1;
}

/** The longest prefix of an IBAN-shaped run that is a valid IBAN, cut at a space: a run may swallow a following word. */
function ibanPrefix(candidate: string): string | null {
  for (let end = candidate.length; end >= 15; end = candidate.lastIndexOf(' ', end - 1)) {
    const part = candidate.slice(0, end);
    if (ibanValid(part.replaceAll(' ', ''))) return part;
    if (end <= 0) break;
  }
  return null;
}

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Random keys mix cases and digits and repeat few characters; hex digests and identifiers do not. */
function looksRandom(token: string): boolean {
  return /\d/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token) && entropy(token) >= 4;
}

/** What a text must contain for a detector to be tried: each is tested once per text, not once per detector. */
type Precondition = 'digit' | 'at' | 'colon' | 'longRun' | 'secretPrefix';
type Detector = { kind: PiiKind; pattern: RegExp; accept?: (value: string) => string | null; when?: Precondition };

const DIGIT = /\d/;
/** Every known secret pattern begins with one of these: one scan of the text spares running each pattern over it. */
const SECRET_PREFIX = /sk-|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abprs]-|AIza|k_(?:live|test)_|eyJ|-----BEGIN /;

/** Whether the text has a run of 32 or more characters that LONG_TOKEN could match: a scan far cheaper than the pattern. */
function hasLongRun(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // [A-Za-z0-9_+/-]
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 47 && c <= 57) || c === 95 || c === 43 || c === 45) {
      if (++run >= 32) return true;
    } else run = 0;
  }
  return false;
}
const digitCount = (value: string) => value.replace(/\D/g, '').length;

/** In order of priority: where two findings overlap, the earlier detector wins. */
const DETECTORS: Detector[] = [
  ...KNOWN_SECRETS.map((pattern): Detector => ({ kind: 'secret', pattern, when: 'secretPrefix' })),
  { kind: 'email', pattern: EMAIL, when: 'at', accept: (v) => (/^[a-z]{2,24}$/i.test(v.slice(v.lastIndexOf('.') + 1)) && !v.startsWith('.') ? v : null) },
  { kind: 'iban', pattern: IBAN, when: 'digit', accept: ibanPrefix },
  { kind: 'credit_card', pattern: CARD, when: 'digit', accept: (v) => {
    const digits = v.replace(/\D/g, '');
    return luhn(digits) && cardIssuer(digits) ? v : null;
  } },
  { kind: 'ip_address', pattern: IPV6, when: 'colon', accept: (v) => (/[0-9a-f]/i.test(v) && isIPv6(v) ? v : null) },
  { kind: 'ip_address', pattern: IPV4, when: 'digit', accept: (v) => (v.split('.').every((octet) => Number(octet) <= 255 && (octet.length === 1 || octet[0] !== '0')) ? v : null) },
  { kind: 'phone', pattern: PHONE, when: 'digit', accept: (v) => {
    const digits = digitCount(v);
    return v.startsWith('+') ? (digits >= 8 && digits <= 15 ? v : null) : digits >= 10 && digits <= 11 ? v : null;
  } },
  { kind: 'secret', pattern: LONG_TOKEN, when: 'longRun', accept: (v) => (looksRandom(v) ? v : null) },
];

const ALL_KINDS: ReadonlySet<PiiKind> = new Set(PII_KINDS);

/** Every finding in the text, non-overlapping, in order; `kinds` limits what is looked for. */
export function findPii(text: string, kinds: ReadonlySet<PiiKind> = ALL_KINDS): PiiMatch[] {
  let found: PiiMatch[] = [];
  const holds: Partial<Record<Precondition, boolean>> = {};
  const test = (when: Precondition) =>
    (holds[when] ??= when === 'digit' ? DIGIT.test(text) : when === 'at' ? text.includes('@') : when === 'colon' ? text.includes(':') : when === 'secretPrefix' ? SECRET_PREFIX.test(text) : hasLongRun(text));
  for (const { kind, pattern, accept, when } of DETECTORS) {
    if (!kinds.has(kind) || (when && !test(when))) continue;
    // Matches come in order and `found` is sorted and disjoint: one walk over both merges them in linear time.
    const merged: PiiMatch[] = [];
    let next = 0;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      const value = accept ? accept(m[0]) : m[0];
      if (!value) continue;
      const start = m.index;
      const end = start + value.length;
      while (next < found.length && found[next].end <= start) merged.push(found[next++]);
      if (next < found.length && found[next].start < end) continue;
      merged.push({ kind, start, end, value });
    }
    while (next < found.length) merged.push(found[next++]);
    found = merged;
  }
  return found;
}

export const PII_MODES = ['mask', 'remove', 'hash'] as const;
export type PiiMode = (typeof PII_MODES)[number];

export interface RedactOptions {
  /** mask: `[EMAIL]`; remove: deleted; hash: `[EMAIL:1f2e3d4c]`, the same value always giving the same hash. */
  mode?: PiiMode;
  kinds?: ReadonlyArray<PiiKind>;
  /** Mixed into hashes, so that they cannot be reversed by hashing guesses without it. */
  salt?: string;
}

export interface Redaction {
  text: string;
  counts: Partial<Record<PiiKind, number>>;
}

function replacement(match: PiiMatch, mode: PiiMode, salt: string): string {
  const label = match.kind.toUpperCase();
  if (mode === 'remove') return '';
  if (mode === 'mask') return `[${label}]`;
  return `[${label}:${createHash('sha256').update(salt).update(match.value).digest('hex').slice(0, 8)}]`;
}

export function redactPii(text: string, options: RedactOptions = {}): Redaction {
  return redactKinds(text, options, options.kinds ? new Set(options.kinds) : ALL_KINDS);
}

function redactKinds(text: string, options: RedactOptions, kinds: ReadonlySet<PiiKind>): Redaction {
  const mode = options.mode ?? 'mask';
  const matches = findPii(text, kinds);
  const counts: Partial<Record<PiiKind, number>> = {};
  if (!matches.length) return { text, counts };
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + replacement(match, mode, options.salt ?? '');
    at = match.end;
    counts[match.kind] = (counts[match.kind] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts };
}

/** A record with its personal data redacted, and what was found; null when it holds none. */
export interface RecordRedaction {
  record: DatasetRecord;
  counts: Partial<Record<PiiKind, number>>;
}

/** Redacts every message (or the text) of a record: the work of the redaction pass for one record, on any thread. */
export function redactRecord(record: DatasetRecord, options: RedactOptions = {}, kinds: ReadonlySet<PiiKind> = options.kinds ? new Set(options.kinds) : ALL_KINDS): RecordRedaction | null {
  const counts: Partial<Record<PiiKind, number>> = {};
  let changed = false;
  const redact = (text: string) => {
    const result = redactKinds(text, options, kinds);
    if (result.text === text) return text;
    changed = true;
    for (const [kind, n] of Object.entries(result.counts) as Array<[PiiKind, number]>) counts[kind] = (counts[kind] ?? 0) + n;
    return result.text;
  };
  const out: DatasetRecord = isChatRecord(record)
    ? {
        messages: record.messages.map((message) => {
          const content = redact(message.content);
          return content === message.content ? message : { ...message, content };
        }),
      }
    : { text: redact(record.text) };
  return changed ? { record: out, counts } : null;
}

/** Redacts every message (or the text) of each record; records are rewritten, never dropped. */
export function createPiiRedactionPass(options: RedactOptions = {}): CleaningPass {
  const kinds = options.kinds ?? PII_KINDS;
  const totals: Record<string, number> = { recordsChanged: 0 };
  const kindSet: ReadonlySet<PiiKind> = new Set(kinds);
  const prepared = preparedResults<RecordRedaction | null>('pii-redaction', { ...options, kinds: [...kinds] });
  return countingPass(
    'pii-redaction',
    { mode: options.mode ?? 'mask', kinds: [...kinds] },
    (record: DatasetRecord) => {
      const redaction = prepared.take(record)?.value ?? redactRecord(record, options, kindSet);
      if (!redaction) return record;
      totals['recordsChanged']++;
      for (const [kind, n] of Object.entries(redaction.counts)) totals[kind] = (totals[kind] ?? 0) + n;
      return redaction.record;
    },
    () => ({ ...totals }),
    prepared,
  );
}
