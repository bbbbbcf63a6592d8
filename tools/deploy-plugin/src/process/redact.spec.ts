import { redact } from './redact';

describe('redact', () => {
  it('masks every known secret value', () => {
    expect(redact('login with s3cret-value and again s3cret-value', ['s3cret-value'])).toBe('login with *** and again ***');
  });

  it('ignores values too short to mask safely', () => {
    expect(redact('a b c', ['a'])).toBe('a b c');
  });

  it('masks passwords in connection URLs', () => {
    expect(redact('postgres://llmp:hunter22@postgres:5432/llmp')).toBe('postgres://llmp:***@postgres:5432/llmp');
  });

  it('masks Authorization and X-API-Key headers', () => {
    expect(redact('Authorization: Basic cWE6cWExMjM=')).toBe('Authorization: Basic ***');
    expect(redact('authorization: Bearer sess_abc')).toBe('authorization: Bearer ***');
    expect(redact('x-api-key: sess_abc')).toBe('x-api-key: ***');
  });

  it('masks NAME=value when the name says it is secret', () => {
    expect(redact('LLMP_POSTGRES_PASSWORD=abc LLMP_INTERNAL_SECRET=def LLMP_LOG_LEVEL=info')).toBe('LLMP_POSTGRES_PASSWORD=*** LLMP_INTERNAL_SECRET=*** LLMP_LOG_LEVEL=info');
  });

  it('masks JSON password fields and crypt hashes', () => {
    expect(redact('{"username":"qa","password":"qa123"}')).toBe('{"username":"qa","password":"***"}');
    expect(redact('qa:$6$saltsalt$pn.eNCAq')).toBe('qa:***');
  });
});
