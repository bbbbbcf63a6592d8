/**
 * A source that fails while its consumer is still writing the previous text,
 * run in a process of its own by paced.spec.ts: Node's default for an
 * unhandled rejection ends the process, which a jest sandbox would not show.
 * Prints what the consumer received and caught; exits 0 only if that was all.
 */
import { sleep } from '@llmp/core';
import { paced } from '../serving/paced';

async function* failsSoon(): AsyncGenerator<string> {
  yield 'a';
  await sleep(5);
  throw new Error('the model process died');
}

void (async () => {
  const seen: string[] = [];
  try {
    for await (const text of paced(failsSoon(), 50)) {
      seen.push(text);
      await sleep(40);
    }
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ seen, caught: (error as Error).message })}\n`);
  }
})();
