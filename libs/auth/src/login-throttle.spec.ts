import { createLoginThrottle } from './login-throttle';

describe('login throttle', () => {
  it('doubles the delay with each failure past the free ones, up to the cap', () => {
    let t = 0;
    const throttle = createLoginThrottle({ username: { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000 }, now: () => t });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      throttle.failed({ username: 'alice' });
      try {
        throttle.check({ username: 'alice' });
        waits.push(0);
      } catch (error) {
        waits.push((error as { retryAfterSeconds: number }).retryAfterSeconds);
      }
      t += 60_000;
    }
    expect(waits).toEqual([0, 0, 1, 2, 4, 8, 8, 8]);
  });

  it('treats usernames without regard to case and spaces, and forgets counters after a quiet spell', () => {
    let t = 0;
    const throttle = createLoginThrottle({ username: { freeFailures: 1, baseDelayMs: 5000, maxDelayMs: 5000 }, forgetAfterMs: 60_000, now: () => t });
    throttle.failed({ username: 'Alice' });
    throttle.failed({ username: ' alice' });
    expect(() => throttle.check({ username: 'ALICE' })).toThrow(/too many failed logins/);
    t = 6000;
    throttle.check({ username: 'alice' });
    t = 70_000;
    throttle.failed({ username: 'alice' });
    throttle.check({ username: 'alice' });
  });

  it('keeps at most maxTracked counters, dropping the least recently failed', () => {
    const throttle = createLoginThrottle({ username: { freeFailures: 0, baseDelayMs: 60_000 }, maxTracked: 3, now: () => 0 });
    for (const name of ['a', 'b', 'c', 'd']) throttle.failed({ username: name });
    expect(() => throttle.check({ username: 'a' })).not.toThrow();
    expect(() => throttle.check({ username: 'd' })).toThrow();
  });
});
