import { isChatRecord, type DatasetRecord, type RecordFormat, type RecordIssue } from '../records/record';

const NUL = '\u0000';
/** Postgres text and jsonb cannot hold NUL, and no tokenizer trains on it usefully. */
const NUL_MESSAGE = 'must not contain NUL characters (\\u0000)';

/**
 * What makes a well-shaped record unusable for training, as OpenAI's file
 * checks see it: a conversation needs an assistant message with content to
 * learn from; weights (0 or 1) belong on assistant messages only; nothing is empty.
 * Paths name the record as its source format wrote it, where that maps one to one.
 */
export function recordIssues(record: DatasetRecord, format: RecordFormat = 'openai-chat'): RecordIssue[] {
  if (!isChatRecord(record)) {
    if (record.text.includes(NUL)) return [{ path: 'text', message: NUL_MESSAGE }];
    return record.text.trim() ? [] : [{ path: 'text', message: 'must not be empty' }];
  }
  const issues: RecordIssue[] = [];
  const at = messagePath(format, record.messages);
  let assistants = 0;
  let trained = 0;
  record.messages.forEach((message, i) => {
    const empty = !message.content.trim();
    if (empty) issues.push({ path: at(i, 'content'), message: 'must not be empty' });
    if (message.content.includes(NUL)) issues.push({ path: at(i, 'content'), message: NUL_MESSAGE });
    if (message.weight !== undefined && message.role !== 'assistant') {
      issues.push({ path: at(i, 'weight'), message: `is only allowed on assistant messages, not on ${message.role}` });
    }
    if (message.role === 'assistant' && !empty) {
      assistants++;
      if (message.weight !== 0) trained++;
    }
  });
  if (assistants === 0) issues.push({ path: at(-1, ''), message: 'must contain at least one assistant message with content' });
  else if (trained === 0) issues.push({ path: at(-1, ''), message: 'must have at least one assistant message with weight 1: every one has weight 0' });
  return issues;
}

/** Alpaca's last two messages are `instruction` and `output`; sharegpt's turns sit in `conversations`. */
function messagePath(format: RecordFormat, messages: ReadonlyArray<{ role: string }>): (index: number, field: 'content' | 'weight' | '') => string {
  const count = messages.length;
  switch (format) {
    case 'sharegpt':
      return (i, field) => (i < 0 ? 'conversations' : `conversations[${i}]${field === 'content' ? '.value' : field ? `.${field}` : ''}`);
    case 'alpaca':
      return (i) => {
        if (i < 0) return 'output';
        if (i === count - 1) return 'output';
        if (i === count - 2) return 'instruction';
        return i === 0 && messages[0].role === 'system' ? 'system' : 'history';
      };
    default:
      return (i, field) => (i < 0 ? 'messages' : `messages[${i}]${field ? `.${field}` : ''}`);
  }
}
