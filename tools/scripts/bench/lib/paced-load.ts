import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export interface PacedResult {
  /** Each answered request's latency in milliseconds, in the order they were planned. */
  latencies: number[];
  /** Requests that failed or were answered with a status other than 2xx. */
  failures: number;
  /** Requests planned but not started before the deadline (the target could not keep up). */
  unsent: number;
}

export interface PacedOptions {
  url: string;
  /** Called for every request: a signed identity is good for one request only. */
  headers: () => Record<string, string>;
  /** Requests a second, whatever the earlier ones are doing (an open loop). */
  rate: number;
  seconds: number;
  /** Connections the client may open; a request waits for one only if all are busy. */
  connections?: number;
}

/**
 * Sends `rate` requests a second for `seconds` and times each from the
 * moment it was planned, not from when it could be sent: a target that falls
 * behind is charged for the wait, as wrk2 charges it. Closed-loop tools such
 * as autocannon measure latency at saturation, where it is only the
 * connection count divided by the throughput; at a fixed rate below
 * saturation the latency is what a call actually pays for each hop.
 * Bounded: `rate × seconds` requests at most, and no request starts after
 * `seconds` plus five.
 */
export async function pacedLoad({ url, headers, rate, seconds, connections = 32 }: PacedOptions): Promise<PacedResult> {
  const { origin, pathname, search } = new URL(url);
  const pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const total = Math.round(rate * seconds);
  const latencies = new Array<number>(total).fill(Number.NaN);
  let failures = 0;
  let unsent = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const deadline = start + (seconds + 5) * 1000;

  const send = async (index: number, planned: number) => {
    try {
      const res = await pool.request({ path: pathname + search, method: 'GET', headers: headers() });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) latencies[index] = performance.now() - planned;
      else failures++;
    } catch {
      failures++;
    }
  };

  try {
    let next = 0;
    while (next < total) {
      const now = performance.now();
      if (now > deadline) {
        unsent = total - next;
        break;
      }
      for (; next < total && start + (next * 1000) / rate <= now; next++) inFlight.push(send(next, start + (next * 1000) / rate));
      if (next < total) await sleep(Math.max(0, start + (next * 1000) / rate - performance.now()));
    }
    await Promise.all(inFlight);
  } finally {
    await pool.close();
  }
  return { latencies: latencies.filter((ms) => !Number.isNaN(ms)), failures, unsent };
}
