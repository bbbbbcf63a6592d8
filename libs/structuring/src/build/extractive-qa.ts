import type { ChatRecord } from '../records/record';

/** What a generator needs of a knowledge-base chunk. */
export interface SourceChunk {
  text: string;
  headingPath: string[];
  documentTitle: string;
}

export const EXTRACTIVE_QA = { name: 'extractive-qa', version: 1, deterministic: true, description: 'questions from headings and key sentences; answers copied from the chunk' } as const;

const MAX_QUESTIONS = 3;
const MIN_SENTENCE = 20;
const MAX_SENTENCE = 400;
const STOPWORDS = new Set(
  'a an and are as at be been but by can do does for from has have how if in into is it its may must not of on or our so such than that the their them then there these they this to was we were what when where which who why will with you your also each every other only more most some any all one two before after between over under about'.split(' '),
);

/** Sentences of a chunk, whitespace collapsed; very short and very long ones are left out. */
export function sentencesOf(text: string): string[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (!flat) return [];
  return flat
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'(])/)
    .map((s) => s.trim())
    .filter((s) => s.length >= MIN_SENTENCE && s.length <= MAX_SENTENCE);
}

const wordsOf = (text: string) => (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? []).map((w) => w.replace(/'s$/, ''));
const contentWords = (text: string) => wordsOf(text).filter((w) => w.length > 3 && !STOPWORDS.has(w));

/** Sentences that carry the chunk's recurring terms score highest; definitions get a bonus. */
function termFrequency(sentences: string[]): Map<string, number> {
  const frequency = new Map<string, number>();
  for (const s of sentences) for (const w of new Set(contentWords(s))) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  return frequency;
}

function rankSentences(sentences: string[], frequency: Map<string, number>): Array<{ sentence: string; index: number; score: number }> {
  return sentences
    .map((sentence, index) => {
      const words = contentWords(sentence);
      const score = words.reduce((n, w) => n + (frequency.get(w) ?? 0), 0) / Math.sqrt(words.length + 1) + (DEFINITION.test(sentence) ? 1 : 0);
      return { sentence, index, score };
    })
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

const DEFINITION_PATTERN = /^(?:(?:The|A|An) )?([\p{L}\p{N}][^,;:.?!]{1,60}?) (is|are|means) (\S.{7,})$/u;
/** "X is hashed", "X are never logged" describe what happens to X; they do not say what X is. */
const NOT_A_DEFINITION = /^(?:\S+ed|\S+en|not|never|also|only|always|often|usually|then|now|still)\b/i;
const DEFINITION = {
  exec(sentence: string): RegExpExecArray | null {
    const match = DEFINITION_PATTERN.exec(sentence);
    return match && !NOT_A_DEFINITION.test(match[3]) ? match : null;
  },
  test(sentence: string): boolean {
    return this.exec(sentence) !== null;
  },
};

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

/** The question a key sentence answers: "What is X?" for a definition, otherwise what the section says about its main term. */
function questionFor(sentence: string, topic: string, frequency: Map<string, number>): string {
  const definition = DEFINITION.exec(sentence);
  if (definition) {
    const subject = definition[1].trim();
    const article = /^(The|A|An)\s/.test(sentence) ? sentence.split(/\s/)[0].toLowerCase() + ' ' : '';
    return `What ${definition[2] === 'means' ? 'does' : definition[2]} ${article}${lowerFirst(subject)}${definition[2] === 'means' ? ' mean' : ''}?`;
  }
  const inTopic = new Set(contentWords(topic));
  const words = contentWords(sentence).filter((w) => !inTopic.has(w));
  // Nouns make better topics than verbs and adverbs: words ending like participles and adverbs go last.
  const weight = (w: string) => (frequency.get(w) ?? 0) - (/(?:ed|ing|ly)$/.test(w) ? 10 : 0);
  const term = words.sort((a, b) => weight(b) - weight(a) || b.length - a.length)[0] ?? 'this';
  return `According to "${topic}", what is said about ${term}?`;
}

/** Chunks repeat the headings above them as their first lines: those are the question's topic, not the answer. */
function withoutHeadings(text: string, headingPath: string[]): string {
  let rest = text.replace(/\s+/g, ' ').trim();
  for (const heading of headingPath) {
    const flat = heading.replace(/\s+/g, ' ').trim();
    if (flat && rest.startsWith(flat)) rest = rest.slice(flat.length).trim();
  }
  return rest;
}

/**
 * Question/answer conversations from one chunk, with no model: a question
 * from the nearest heading (the heading itself when it is a question)
 * answered by the chunk's opening sentences, and questions from its key
 * sentences answered by those sentences. The same chunk always gives the
 * same records.
 */
export function extractiveQa(chunk: SourceChunk): ChatRecord[] {
  const heading = chunk.headingPath[chunk.headingPath.length - 1]?.trim();
  const topic = heading || chunk.documentTitle;
  const body = sentencesOf(withoutHeadings(chunk.text, chunk.headingPath));
  if (!body.length) return [];
  const frequency = termFrequency(body);
  const pairs: Array<[string, string]> = [];
  if (heading && body.length) {
    const question = heading.endsWith('?') ? heading : `What does "${heading}"${chunk.headingPath.length > 1 ? ` in "${chunk.headingPath[0]}"` : ''} cover?`;
    pairs.push([question, body.slice(0, 3).join(' ')]);
  }
  for (const { sentence, index } of rankSentences(body, frequency)) {
    if (pairs.length >= MAX_QUESTIONS) break;
    const question = questionFor(sentence, topic, frequency);
    if (pairs.some(([q]) => q === question)) continue;
    const answer = DEFINITION.test(sentence) || index + 1 >= body.length ? sentence : `${sentence} ${body[index + 1]}`;
    pairs.push([question, answer]);
  }
  return pairs.map(([question, answer]) => ({ messages: [{ role: 'user', content: question }, { role: 'assistant', content: answer }] }));
}
