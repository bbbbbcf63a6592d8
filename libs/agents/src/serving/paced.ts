/**
 * Joins the text deltas of a stream so that, after the first, at most one
 * leaves per `intervalMs`: a delta that arrives within the interval of the
 * last one sent waits, with any that follow it, until the interval is over.
 * The first delta and the last pending text leave at once, so neither the
 * time to first token nor the end of the answer moves. A small model on a CPU
 * produces a token every millisecond or two; sent one by one, each costs a
 * write and a wake-up at every hop (service, gateway, nginx, client), which
 * takes CPU from the model itself. A model slower than the interval is
 * streamed token by token, as before. 0 sends every delta as it comes.
 */
export async function* paced(deltas: AsyncIterable<string>, intervalMs: number): AsyncGenerator<string> {
  if (intervalMs <= 0) {
    yield* deltas;
    return;
  }
  const source = deltas[Symbol.asyncIterator]();
  let pending = '';
  let sentAt = -Infinity;
  // The next delta is asked for before the current text is handed on; should the source fail while the
  // consumer is still writing, that rejection must wait for this loop rather than count as unhandled.
  const ask = () => {
    const asked = source.next();
    asked.catch(() => undefined);
    return asked;
  };
  let next = ask();
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      let result: IteratorResult<string> | 'due';
      if (pending) {
        const due = new Promise<'due'>((resolve) => {
          timer = setTimeout(() => resolve('due'), Math.max(0, sentAt + intervalMs - performance.now()));
        });
        try {
          result = await Promise.race([next, due]);
        } catch (error) {
          // What the model produced before it failed still reaches the client, ahead of the error.
          yield pending;
          throw error;
        } finally {
          clearTimeout(timer);
        }
      } else {
        result = await next;
      }
      if (result !== 'due') {
        if (result.done) break;
        pending += result.value;
        next = ask();
        if (performance.now() - sentAt < intervalMs) continue;
      }
      const text = pending;
      pending = '';
      sentAt = performance.now();
      yield text;
    }
    if (pending) yield pending;
  } finally {
    clearTimeout(timer);
    await source.return?.();
  }
}
