import { trainBpe } from './bpe-trainer';
import { SPECIAL_TOKENS, Tokenizer } from './tokenizer';

const corpus = ['the cat sat on the mat. the cat ate the rat.', 'a hat for the cat, a mat for the rat; naïve café — 日本語 ✓', 'the the the cat cat'];

describe('Tokenizer', () => {
  it('round-trips any UTF-8 text through the byte vocabulary', () => {
    const tok = new Tokenizer();
    const text = 'Grüße, 世界!\n\ttabs  and  spaces 🎉';
    const ids = tok.encode(text);
    expect(ids).toEqual(Array.from(new TextEncoder().encode(text)));
    expect(tok.decode(ids)).toBe(text);
    expect(tok.vocabSize).toBe(256 + SPECIAL_TOKENS.length);
  });

  it('puts loss only on assistant content and its end token, scaled by the message weight', () => {
    const tok = new Tokenizer();
    const { ids, weights } = tok.encodeChat([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'yo', weight: 0.5 },
      { role: 'assistant', content: 'ok' },
    ]);
    const y = 'y'.charCodeAt(0);
    const k = 'k'.charCodeAt(0);
    expect(tok.decode(ids, { skipSpecial: false })).toBe('<|bos|><|system|>be brief<|eos|><|user|>hi<|eos|><|assistant|>yo<|eos|><|assistant|>ok<|eos|>');
    const trained = ids.map((id, i) => [id, weights[i]]).filter(([, w]) => w > 0);
    expect(trained).toEqual([
      [y, 0.5],
      ['o'.charCodeAt(0), 0.5],
      [tok.eosId, 0.5],
      ['o'.charCodeAt(0), 1],
      [k, 1],
      [tok.eosId, 1],
    ]);
  });

  it('refuses merges that refer to tokens not yet defined', () => {
    expect(() => new Tokenizer({ kind: 'byte-bpe', specials: [...SPECIAL_TOKENS], merges: [[97, 400]] })).toThrow(/merge 0/);
  });
});

describe('trainBpe', () => {
  it('learns the requested number of merges deterministically and encodes shorter', () => {
    const reported: number[] = [];
    const a = trainBpe(corpus, { vocabSize: 270, onMerge: (n) => reported.push(n) });
    const b = trainBpe(corpus, { vocabSize: 270 });
    expect(a.vocabSize).toBe(270);
    expect(reported).toEqual(Array.from({ length: a.merges.length }, (_, i) => i + 1));
    expect(a.toJSON()).toEqual(b.toJSON());
    const text = 'the cat sat on the mat';
    expect(a.encode(text).length).toBeLessThanOrEqual(new TextEncoder().encode(text).length / 2);
  });

  it('round-trips text, including text it never saw, and survives JSON', () => {
    const tok = trainBpe(corpus, { vocabSize: 300 });
    const restored = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
    for (const text of [...corpus, 'unseen: ξ → the catalogue', '']) {
      expect(restored.decode(tok.encode(text))).toBe(text);
      expect(restored.encode(text)).toEqual(tok.encode(text));
    }
  });

  it('stops early when no pair is frequent enough', () => {
    const tok = trainBpe(['abcdefg'], { vocabSize: 1000 });
    expect(tok.merges).toHaveLength(0);
  });
});
