import { parentPort, workerData } from 'node:worker_threads';
import { createLexicon, type Lexemes, type PendingSplit } from './english-words';

export type LexerThreadRequest =
  | { kind: 'split'; id: number; texts: string[]; wide: boolean }
  | { kind: 'learnt'; id: number; learnt: Array<[string, Lexemes]> }
  | { kind: 'drop'; id: number };

export type LexerThreadReply = { kind: 'unknown'; id: number; unknown: string[] } | { kind: 'done'; id: number; out: (string | undefined)[] };

if (parentPort) {
  const port = parentPort;
  const lexicon = createLexicon((workerData as { entries: number }).entries);
  /** Splits waiting for the database's answer about their unknown words. */
  const pending = new Map<number, PendingSplit>();
  const send = (reply: LexerThreadReply) => port.postMessage(reply);

  port.on('message', (request: LexerThreadRequest) => {
    switch (request.kind) {
      case 'split': {
        const split = lexicon.split(request.texts, request.wide);
        if (!split.unknown.length) return send({ kind: 'done', id: request.id, out: split.finish(new Map()) });
        pending.set(request.id, split);
        return send({ kind: 'unknown', id: request.id, unknown: split.unknown });
      }
      case 'learnt': {
        const split = pending.get(request.id);
        pending.delete(request.id);
        if (split) send({ kind: 'done', id: request.id, out: split.finish(new Map(request.learnt)) });
        return;
      }
      case 'drop':
        pending.delete(request.id);
    }
  });
}
