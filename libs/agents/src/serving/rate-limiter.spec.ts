import { createRateLimiter } from './rate-limiter';

describe('per-key rate limits', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('admits rpm calls in a minute, refuses the next until the oldest is a minute old, and says so in OpenAI’s headers', () => {
    const time = clock();
    const limiter = createRateLimiter({ now: time.now });
    const admitted = [];
    for (let i = 0; i < 3; i++) {
      admitted.push(limiter.admit('k', { rpm: 3, tpm: null }, 10));
      time.advance(1000);
    }
    expect(admitted.map((a) => [a.allowed, a.headers['x-ratelimit-remaining-requests']])).toEqual([
      [true, '2'],
      [true, '1'],
      [true, '0'],
    ]);
    const refused = limiter.admit('k', { rpm: 3, tpm: null }, 10);
    expect(refused).toMatchObject({ allowed: false, exceeded: 'requests', retryAfterSeconds: 57 });
    expect(refused.headers).toEqual({ 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '57s' });
    time.advance(57_000);
    expect(limiter.admit('k', { rpm: 3, tpm: null }, 10).allowed).toBe(true);
  });

  it('counts tokens per minute with each call’s estimate until it settles on what it used', () => {
    const time = clock();
    const limiter = createRateLimiter({ now: time.now });
    const first = limiter.admit('k', { rpm: null, tpm: 100 }, 80);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-tokens': '100', 'x-ratelimit-remaining-tokens': '20' });
    expect(limiter.admit('k', { rpm: null, tpm: 100 }, 30)).toMatchObject({ allowed: false, exceeded: 'tokens', retryAfterSeconds: 60 });
    first.settle(40);
    time.advance(10_000);
    const second = limiter.admit('k', { rpm: null, tpm: 100 }, 30);
    expect(second.allowed).toBe(true);
    expect(second.headers['x-ratelimit-remaining-tokens']).toBe('30');
    const refused = limiter.admit('k', { rpm: null, tpm: 100 }, 50);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 50 });
    expect(refused.headers['x-ratelimit-reset-tokens']).toBe('50s');
  });

  it('keeps keys apart and sends no headers for a key without limits', () => {
    const limiter = createRateLimiter();
    expect(limiter.admit('a', { rpm: 1, tpm: null }, 1).allowed).toBe(true);
    expect(limiter.admit('a', { rpm: 1, tpm: null }, 1).allowed).toBe(false);
    expect(limiter.admit('b', { rpm: 1, tpm: null }, 1).allowed).toBe(true);
    expect(limiter.admit('c', { rpm: null, tpm: null }, 1_000_000).headers).toEqual({});
  });
});
