import type { Db } from '@llmp/db';

/** Each text's lexemes as the database computes them itself, one statement per text: no batching or ordering to share with a lexer under test. */
export async function lexemesInDatabase(db: Db, texts: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const text of texts) {
    const { rows } = await db.query<{ lexemes: string }>(`select to_tsvector('english', $1::text)::text as lexemes`, [text]);
    out.push(rows[0].lexemes);
  }
  return out;
}
