import type { Logger } from '@llmp/core';
import { createKeptListener, type Db, type KeptListenerOptions } from '@llmp/db';
import type { CredentialCache } from './credential-cache';
import { REVOCATION_CHANNEL } from './credentials.repository';

export type RevocationListenerOptions = KeptListenerOptions;

export interface RevocationListener {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Keeps `cache` in step with revocations made by any gateway replica. The
 * cache is used only while the listening connection is up: when it is lost
 * the cache is emptied and disabled (every request asks the database) until
 * listening again succeeds, since revocations sent meanwhile are missed.
 */
export function createRevocationListener({ db, cache, log }: { db: Db; cache: CredentialCache; log: Logger }, options: RevocationListenerOptions = {}): RevocationListener {
  const listener = createKeptListener(
    db,
    REVOCATION_CHANNEL,
    {
      onNotify: (userId) => cache.forgetUser(userId),
      onListening: () => cache.enable(),
      onLost: (error) => {
        cache.disable();
        log.warn({ err: error }, 'revocation listener lost or not listening; credentials are checked in the database until it is back');
      },
    },
    options,
  );
  return {
    start: () => listener.start(),
    async stop() {
      cache.disable();
      await listener.stop();
    },
  };
}
