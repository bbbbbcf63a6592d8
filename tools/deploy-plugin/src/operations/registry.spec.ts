import { normalizeRegistry, parsePushDigest, pinned, remoteRef } from './registry';

describe('registry', () => {
  it('comes from the option, else LLMP_REGISTRY, without a trailing slash', () => {
    expect(normalizeRegistry('127.0.0.1:5000/', {})).toBe('127.0.0.1:5000');
    expect(normalizeRegistry(undefined, { LLMP_REGISTRY: 'registry.internal/team' })).toBe('registry.internal/team');
    expect(normalizeRegistry(undefined, {})).toBeUndefined();
  });

  it('refuses what is not host[:port][/path]', () => {
    expect(() => normalizeRegistry('http://127.0.0.1:5000', {})).toThrow(/not host\[:port\]\[\/path\]/);
    expect(() => normalizeRegistry('Reg istry', {})).toThrow(/not host/);
  });

  it('names the remote image after the local one and pins it to a digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(remoteRef('127.0.0.1:5000', 'llmp/api-gateway:abc')).toBe('127.0.0.1:5000/llmp/api-gateway:abc');
    expect(pinned('127.0.0.1:5000/llmp/api-gateway:abc', digest)).toBe(`127.0.0.1:5000/llmp/api-gateway:abc@${digest}`);
    expect(pinned(`127.0.0.1:5000/llmp/api-gateway:abc@sha256:${'b'.repeat(64)}`, digest)).toBe(`127.0.0.1:5000/llmp/api-gateway:abc@${digest}`);
  });

  it('reads the digest from docker push output', () => {
    const out = `The push refers to repository [127.0.0.1:5000/llmp/api-gateway]\n5f70bf18a086: Layer already exists\nabc: digest: sha256:${'c'.repeat(64)} size: 1782\n`;
    expect(parsePushDigest(out)).toBe(`sha256:${'c'.repeat(64)}`);
    expect(parsePushDigest('nothing')).toBeUndefined();
  });
});
