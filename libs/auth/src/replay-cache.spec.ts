import { createReplayCache } from './replay-cache';

describe('replay cache', () => {
  it('accepts a nonce once and refuses it again while it is valid', () => {
    const cache = createReplayCache({ now: () => 1000 });
    expect(cache.claim('nonce-aaaaaaaaaaaaaaaa', 1060)).toBe('fresh');
    expect(cache.claim('nonce-aaaaaaaaaaaaaaaa', 1060)).toBe('replayed');
    expect(cache.claim('nonce-bbbbbbbbbbbbbbbb', 1060)).toBe('fresh');
  });

  it('when full, refuses new nonces instead of forgetting live ones, and makes room as they expire', () => {
    let t = 1000;
    const cache = createReplayCache({ maxEntries: 3, now: () => t });
    expect(['a', 'b', 'c'].map((n) => cache.claim(n, n === 'a' ? 1010 : 1060))).toEqual(['fresh', 'fresh', 'fresh']);
    expect(cache.claim('d', 1060)).toBe('full');
    expect(cache.claim('a', 1010)).toBe('replayed');
    t = 1011;
    expect(cache.claim('d', 1071)).toBe('fresh');
    expect(cache.size).toBe(3);
    expect(cache.claim('b', 1060)).toBe('replayed');
  });

  it('forgets expired nonces, whose signatures are refused anyway, so its size follows the traffic of the last minute', () => {
    let t = 1000;
    const cache = createReplayCache({ now: () => t });
    for (let i = 0; i < 100; i++) cache.claim(`n${i}`, t + 60);
    t = 1061;
    cache.claim('late', t + 60);
    expect(cache.size).toBe(1);
  });
});
