import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import type { DbRequest, DbResponse, SerializedError, ThreadInit } from './pglite-thread-protocol';

const parsers = { [types.INT8]: (value: string) => Number(value) };
const port = parentPort!;
const send = (message: DbResponse) => port.postMessage(message);

function serialize(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: SerializedError = { message: error.message, name: error.name, stack: error.stack };
  for (const [key, value] of Object.entries(error)) {
    if (typeof value !== 'function' && typeof value !== 'object') fields[key] = value;
    else if (Array.isArray(value)) fields[key] = value;
  }
  return fields;
}

interface OpenTransaction {
  tx: Transaction | null;
  finish: (commit: boolean) => void;
  done: Promise<void>;
}

async function main({ dataDir }: ThreadInit): Promise<void> {
  const db = await PGlite.create({ dataDir, extensions: { vector } });
  /** Open transactions: PGlite runs nothing else until the callback given to `transaction` returns. */
  const open = new Map<number, OpenTransaction>();
  const unlisten = new Map<string, () => Promise<void>>();
  let nextTx = 1;

  async function handle(request: DbRequest): Promise<DbResponse | null> {
    switch (request.op) {
      case 'query': {
        const client = request.tx === null ? db : open.get(request.tx)!.tx!;
        const result = await client.query(request.sql, request.params, { parsers });
        return { kind: 'ok', id: request.id, result: { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length } };
      }
      case 'exec': {
        const client = request.tx === null ? db : open.get(request.tx)!.tx!;
        const results = await client.exec(request.sql, { parsers });
        const last = results[results.length - 1];
        return { kind: 'ok', id: request.id, result: { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? last?.rows.length ?? 0 } };
      }
      case 'copy': {
        const client = request.tx === null ? db : open.get(request.tx)!.tx!;
        const result = await client.query(request.sql, [], { blob: new Blob([request.data]) });
        return { kind: 'ok', id: request.id, result: { rows: [], rowCount: result.affectedRows ?? 0 } };
      }
      case 'begin': {
        const id = nextTx++;
        let finish!: (commit: boolean) => void;
        const decided = new Promise<boolean>((resolve) => (finish = resolve));
        let begun!: () => void;
        const started = new Promise<void>((resolve) => (begun = resolve));
        const entry: OpenTransaction = { tx: null, finish, done: Promise.resolve() };
        // The callback holds PGlite's transaction until the caller commits or rolls back.
        entry.done = db.transaction(async (tx) => {
          entry.tx = tx;
          open.set(id, entry);
          begun();
          if (!(await decided)) await tx.rollback();
        });
        // Observed by 'end'; a failure before the start is reported by the race below.
        entry.done.catch(() => undefined);
        await Promise.race([started, entry.done]);
        return { kind: 'ok', id: request.id, tx: id };
      }
      case 'end': {
        const entry = open.get(request.tx)!;
        open.delete(request.tx);
        entry.finish(request.commit);
        await entry.done;
        return { kind: 'ok', id: request.id };
      }
      case 'listen': {
        if (!unlisten.has(request.channel)) {
          const channel = request.channel;
          unlisten.set(channel, await db.listen(channel, (payload) => send({ kind: 'notify', channel, payload })));
        }
        return { kind: 'ok', id: request.id };
      }
      case 'unlisten': {
        await unlisten.get(request.channel)?.();
        unlisten.delete(request.channel);
        return { kind: 'ok', id: request.id };
      }
      case 'close': {
        if (!db.closed) await db.close();
        send({ kind: 'ok', id: request.id });
        port.close();
        return null;
      }
    }
  }

  port.on('message', (request: DbRequest) => {
    handle(request).then(
      (response) => response && send(response),
      (error: unknown) => send({ kind: 'error', id: request.id, error: serialize(error) }),
    );
  });
  send({ kind: 'ok', id: 0 });
}

main(workerData as ThreadInit).catch((error: unknown) => send({ kind: 'error', id: 0, error: serialize(error) }));
