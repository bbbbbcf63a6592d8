import { createHashPool } from './hash-pool';

/** Work that finishes when the test says so. */
function aGate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, work: () => opened };
}

describe('password hashing pool', () => {
  it('runs at most `concurrency` hashes at once and starts waiting ones as slots free up', async () => {
    const pool = createHashPool({ concurrency: 2, maxQueue: 10 });
    const gates = Array.from({ length: 5 }, aGate);
    const done = gates.map((g) => pool.run(g.work));
    await Promise.resolve();
    expect([pool.active, pool.waiting]).toEqual([2, 3]);
    gates[0].open();
    await done[0];
    expect([pool.active, pool.waiting]).toEqual([2, 2]);
    for (const g of gates) g.open();
    await Promise.all(done);
    expect([pool.active, pool.waiting]).toEqual([0, 0]);
  });

  it('refuses with 503 and Retry-After once the queue is full, and frees the slot of work that failed', async () => {
    const pool = createHashPool({ concurrency: 1, maxQueue: 1 });
    const first = aGate();
    const running = pool.run(first.work);
    const queued = pool.run(() => Promise.reject(new Error('scrypt failed')));
    await expect(pool.run(async () => 'x')).rejects.toMatchObject({ status: 503, code: 'password_hashing_busy', retryAfterSeconds: 2 });
    first.open();
    await running;
    await expect(queued).rejects.toThrow('scrypt failed');
    await expect(pool.run(async () => 'after')).resolves.toBe('after');
    expect(pool.active).toBe(0);
  });
});
