import { createPiiRedactionPass, findPii, redactPii, type PiiKind } from './pii';

const kindsIn = (text: string) => findPii(text).map((m) => [m.kind, m.value]);

describe('findPii', () => {
  it.each<[string, string, PiiKind, string]>([
    ['an email address', 'Write to jane.doe+news@mail.example.co.uk today.', 'email', 'jane.doe+news@mail.example.co.uk'],
    ['a North American phone number', 'Call (555) 123-4567 after 5.', 'phone', '(555) 123-4567'],
    ['an international phone number', 'Ring +49 30 1234567 or later', 'phone', '+49 30 1234567'],
    ['a compact international phone number', 'sms +447700900123.', 'phone', '+447700900123'],
    ['a Visa number with spaces', 'card 4111 1111 1111 1111 expires', 'credit_card', '4111 1111 1111 1111'],
    ['an Amex number with dashes', 'amex 3782-822463-10005 ok', 'credit_card', '3782-822463-10005'],
    ['a German IBAN in groups', 'IBAN DE89 3704 0044 0532 0130 00 please', 'iban', 'DE89 3704 0044 0532 0130 00'],
    ['a compact British IBAN followed by a word', 'to GB82WEST12345698765432 NOW', 'iban', 'GB82WEST12345698765432'],
    ['an IPv4 address at the end of a sentence', 'The host is 192.168.10.254.', 'ip_address', '192.168.10.254'],
    ['an IPv6 address', 'ping 2001:db8:85a3::8a2e:370:7334 now', 'ip_address', '2001:db8:85a3::8a2e:370:7334'],
    ['an OpenAI-style key', 'key=sk-proj-Abc123def456GHI789jkl012mno', 'secret', 'sk-proj-Abc123def456GHI789jkl012mno'],
    ['an AWS access key id', 'aws AKIAIOSFODNN7EXAMPLE here', 'secret', 'AKIAIOSFODNN7EXAMPLE'],
    ['a GitHub token', 'token ghp_16C7e42F292c6912E7710c838347Ae178B4a here', 'secret', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
    ['a long random token', 'secret: Zx8Qp2Lm9Rt4Vw7Yb1Nc5Kd3Hf6Gj0Ts2Ua', 'secret', 'Zx8Qp2Lm9Rt4Vw7Yb1Nc5Kd3Hf6Gj0Ts2Ua'],
  ])('finds %s', (_name, text, kind, value) => {
    expect(kindsIn(text)).toEqual([[kind, value]]);
  });

  it.each([
    ['a card number that fails the Luhn check', 'order 4111 1111 1111 1112 shipped'],
    ['an IBAN with a wrong checksum', 'IBAN DE88 3704 0044 0532 0130 00'],
    ['dates, times, prices and versions', 'On 2024-05-17 at 10:30:45 it cost $1,234.56 with v1.2.3 and 17.05.2024'],
    ['an address with an octet over 255', 'not an ip 300.1.2.3 or 1.2.3.4.5'],
    ['a ten-digit run with no separators', 'ticket 5551234567 closed'],
    ['a git commit hash and a sha256 digest', 'commit 3f786850e387550fdab836ed7e6dc881de23001b and e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['identifiers and paths', 'see src/records/dataset_reader_and_writers_configuration.ts and ThisIsALongCamelCaseIdentifierName'],
    ['a word with an at sign', 'meet @ noon, user@localhost'],
  ])('ignores %s', (_name, text) => {
    expect(kindsIn(text)).toEqual([]);
  });

  it('lets the earlier detector win where findings overlap, and finds several in order', () => {
    const text = 'mail a@b.io, call +1 415 555 0100, card 5555555555554444';
    expect(findPii(text).map((m) => m.kind)).toEqual(['email', 'phone', 'credit_card']);
  });

  it.each([
    ['a@a.a.a… repeated', 'a@a.'.repeat(25_000)],
    ['a long run of local-part characters', 'a'.repeat(100_000) + '@'],
    ['a long digit run', '1'.repeat(100_000)],
    ['digits with separators', '1 2-3 '.repeat(20_000)],
    ['dotted numbers', '1.'.repeat(50_000)],
    ['colons and hex digits', 'a:'.repeat(50_000)],
    ['a long random-looking token', 'aB3'.repeat(33_000)],
    ['an IBAN-like prefix followed by endless groups', 'DE89 ' + '3704 '.repeat(25_000)],
    ['plus signs and digits', '+1'.repeat(50_000)],
    ['thousands of real findings', 'a@b.io 10.0.0.1 '.repeat(7_000)],
  ])('finishes quickly on hostile input: %s', (_name, text) => {
    const started = performance.now();
    findPii(text);
    // Linear scans take well under 200 ms here; a quadratic one on 100 KB takes minutes. The margin absorbs a busy machine.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('redactPii', () => {
  const text = 'Mail jane@example.com or jane@example.com, card 4111111111111111.';

  it('masks with the kind by default', () => {
    expect(redactPii(text)).toEqual({ text: 'Mail [EMAIL] or [EMAIL], card [CREDIT_CARD].', counts: { email: 2, credit_card: 1 } });
  });

  it('removes, or replaces with a salted hash that is equal for equal values', () => {
    expect(redactPii(text, { mode: 'remove' }).text).toBe('Mail  or , card .');
    const hashed = redactPii(text, { mode: 'hash', salt: 's1' }).text;
    const [first, second] = hashed.match(/\[EMAIL:[0-9a-f]{8}\]/g) ?? [];
    expect(first).toBe(second);
    expect(redactPii(text, { mode: 'hash', salt: 's2' }).text).not.toBe(hashed);
  });

  it('looks only for the kinds asked for', () => {
    expect(redactPii(text, { kinds: ['credit_card'] }).text).toBe('Mail jane@example.com or jane@example.com, card [CREDIT_CARD].');
  });
});

describe('createPiiRedactionPass', () => {
  it('rewrites every message, keeps every record and records what it redacted', () => {
    const pass = createPiiRedactionPass({ mode: 'mask' });
    const clean = { text: 'nothing here' };
    expect(pass.apply(clean)).toBe(clean);
    expect(pass.apply({ messages: [{ role: 'user', content: 'my ip is 10.0.0.1' }, { role: 'assistant', content: 'noted', weight: 1 }] })).toEqual({
      messages: [{ role: 'user', content: 'my ip is [IP_ADDRESS]' }, { role: 'assistant', content: 'noted', weight: 1 }],
    });
    expect(pass.step()).toEqual({
      pass: 'pii-redaction',
      params: { mode: 'mask', kinds: ['email', 'phone', 'credit_card', 'iban', 'ip_address', 'secret'] },
      before: 2,
      after: 2,
      details: { recordsChanged: 1, ip_address: 1 },
    });
  });
});
