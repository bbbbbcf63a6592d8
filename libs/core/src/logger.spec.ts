import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines that name the service', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'gateway', destination }).info({ userId: 'usr_1' }, 'login');
    expect(lines[0]).toMatchObject({ service: 'gateway', msg: 'login', userId: 'usr_1' });
  });

  it('never writes passwords, tokens or authorization headers', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'gateway', destination });
    log.info({ body: { password: 'hunter2' }, token: 'abc', req: { headers: { authorization: 'Bearer abc' } } }, 'x');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('Bearer abc');
    expect(text).not.toContain('"abc"');
  });
});
