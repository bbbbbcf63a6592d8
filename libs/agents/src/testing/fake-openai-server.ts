import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAiServer {
  url: string;
  /** Bodies of the chat completion requests it received. */
  requests: Array<Record<string, unknown>>;
  /** The Authorization header of each of those requests. */
  authorizations: Array<string | undefined>;
  /** How many streams of the `endless` model were closed by the caller. */
  closedStreams: number;
  close(): Promise<void>;
}

const chunk = (content: string | null, finish: string | null = null) => ({
  id: 'chatcmpl-upstream',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'upstream',
  choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
});

/**
 * A real OpenAI-compatible HTTP server for tests, whose behaviour the
 * `model` picks: `echo` streams the last user message back word by word
 * with usage, `fail` answers 500, `silent` never answers, `endless` streams
 * until the caller goes away.
 */
export async function startFakeOpenAiServer(): Promise<FakeOpenAiServer> {
  const state: FakeOpenAiServer = { url: '', requests: [], authorizations: [], closedStreams: 0, close: async () => undefined };
  const send = (res: ServerResponse, data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; messages: Array<{ role: string; content: string }> };
      state.requests.push(body);
      state.authorizations.push(req.headers.authorization);
      if (body.model === 'silent') return;
      if (body.model === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'the GPU caught fire', type: 'server_error' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (body.model === 'endless') {
        const timer = setInterval(() => send(res, chunk('more ')), 20);
        res.on('close', () => {
          clearInterval(timer);
          state.closedStreams++;
        });
        return;
      }
      const words = body.messages.filter((m) => m.role === 'user').at(-1)!.content.split(' ');
      for (const [i, word] of words.entries()) send(res, chunk(i ? ` ${word}` : word));
      send(res, chunk(null, 'stop'));
      send(res, { ...chunk(null), choices: [], usage: { prompt_tokens: 11, completion_tokens: words.length, total_tokens: 11 + words.length } });
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
