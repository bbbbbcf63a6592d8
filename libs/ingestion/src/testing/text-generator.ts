const WORDS = (
  'pump valve seal pressure flow system operator manual install check replace inspect bolt frame motor power ' +
  'cable sensor reading alarm shutdown restart filter clean water oil temperature gauge panel switch relay fuse ' +
  'schedule weekly monthly service engineer report warranty safety glove helmet procedure step before after during'
).split(' ');

/** Deterministic pseudo-random prose: sentences of 6–24 words, paragraphs of 2–6 sentences. */
export function prose({ paragraphs, seed = 42 }: { paragraphs: number; seed?: number }): string[] {
  let state = seed;
  const next = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const sentence = () => {
    const words = Array.from({ length: 6 + Math.floor(next() * 19) }, () => WORDS[Math.floor(next() * WORDS.length)]);
    return `${words[0][0].toUpperCase()}${words.join(' ').slice(1)}.`;
  };
  return Array.from({ length: paragraphs }, () => Array.from({ length: 2 + Math.floor(next() * 5) }, sentence).join(' '));
}
