import { isId, newId } from './ids';

describe('newId', () => {
  it('prefixes the id and keeps it to a fixed alphabet and length', () => {
    const id = newId('doc');
    expect(id).toMatch(/^doc_[0-9a-z]{26}$/);
    expect(isId('doc', id)).toBe(true);
    expect(isId('kb', id)).toBe(false);
  });

  it('sorts ids by creation time', () => {
    const earlier = newId('kb', Date.UTC(2026, 0, 1));
    const later = newId('kb', Date.UTC(2026, 0, 2));
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it('sorts ids made one after another within one millisecond in the order they were made', () => {
    const now = Date.now();
    const ids = Array.from({ length: 100 }, () => newId('ftevent', now));
    expect([...ids].sort()).toEqual(ids);
  });

  it('does not repeat within the same millisecond', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 1000 }, () => newId('x', now)));
    expect(ids.size).toBe(1000);
  });
});
