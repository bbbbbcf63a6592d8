import { readDataset, type ReadResult } from './dataset-reader';
import { writeAlpacaJson, writeDataset, writeOpenAiChatJsonl, writeShareGptJson, writeTextJsonl } from './dataset-writers';
import type { ChatRecord, DatasetRecord } from './record';

const records: DatasetRecord[] = [
  { messages: [{ role: 'user', content: 'Hi "there"\nfriend' }, { role: 'assistant', content: 'Hello', weight: 1 }] },
  { text: 'continued pre-training text' },
  { messages: [{ role: 'system', content: 'Terse.' }, { role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }, { role: 'assistant', content: 'A2' }] },
];

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

async function readBack(text: string): Promise<ReadResult[]> {
  const out: ReadResult[] = [];
  for await (const result of readDataset([Buffer.from(text)])) out.push(result);
  return out;
}

const withoutWeights = (record: DatasetRecord) => ({ messages: (record as ChatRecord).messages.map(({ role, content }) => ({ role, content })) });

describe('dataset writers', () => {
  it('write OpenAI chat JSONL that reads back to the same records, skipping text records', async () => {
    const skipped: unknown[] = [];
    const text = (await collect(writeOpenAiChatJsonl(records, { onSkipped: (s) => skipped.push(s) }))).join('');
    expect(text.split('\n')).toHaveLength(3);
    expect((await readBack(text)).map((r) => 'record' in r && r.record)).toEqual([records[0], records[2]]);
    expect(skipped).toEqual([{ index: 1, reason: 'a text record has no messages' }]);
  });

  it('write an alpaca JSON array that parses and reads back to the same conversations without weights', async () => {
    const text = (await collect(writeAlpacaJson(records))).join('');
    expect(JSON.parse(text)).toHaveLength(2);
    expect((await readBack(text)).map((r) => 'record' in r && r.record)).toEqual([withoutWeights(records[0]), withoutWeights(records[2])]);
  });

  it('write a sharegpt JSON array that reads back to the same conversations without weights', async () => {
    const text = (await collect(writeShareGptJson(records))).join('');
    expect(JSON.parse(text)[0]).toEqual({ conversations: [{ from: 'human', value: 'Hi "there"\nfriend' }, { from: 'gpt', value: 'Hello' }] });
    expect((await readBack(text)).map((r) => 'record' in r && r.record)).toEqual([withoutWeights(records[0]), withoutWeights(records[2])]);
  });

  it('write plain text JSONL for continued pre-training', async () => {
    expect((await collect(writeTextJsonl(records))).join('')).toBe('{"text":"continued pre-training text"}\n');
  });

  it('write a valid empty array when no record fits', async () => {
    expect(JSON.parse((await collect(writeDataset('alpaca-json', [{ text: 'x' }]))).join(''))).toEqual([]);
  });

  it('stream in bounded chunks from an async source, never the whole file at once', async () => {
    async function* many() {
      for (let i = 0; i < 20_000; i++) yield { messages: [{ role: 'user' as const, content: `q${i}` }, { role: 'assistant' as const, content: `a${i}` }] };
    }
    const chunks = await collect(writeDataset('sharegpt-json', many(), { chunkChars: 16 * 1024 }));
    expect(chunks.length).toBeGreaterThan(40);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(17 * 1024);
    expect(JSON.parse(chunks.join(''))).toHaveLength(20_000);
  });
});
