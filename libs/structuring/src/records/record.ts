/**
 * The one internal shape every dataset record is converted to on the way in,
 * and from on the way out: a conversation for fine-tuning, or plain text for
 * continued pre-training.
 */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** OpenAI's per-message training weight: 0 excludes an assistant message from the loss. */
  weight?: 0 | 1;
}

export interface ChatRecord {
  messages: ChatMessage[];
}

export interface TextRecord {
  text: string;
}

export type DatasetRecord = ChatRecord | TextRecord;

/** External formats a record may arrive in or leave as. */
export const RECORD_FORMATS = ['openai-chat', 'alpaca', 'sharegpt', 'text'] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

/** One problem with one record: where inside it (a JSON path such as `messages[2].role`) and what. */
export interface RecordIssue {
  path: string;
  message: string;
}

export function isChatRecord(record: DatasetRecord): record is ChatRecord {
  return 'messages' in record;
}

export function isTextRecord(record: DatasetRecord): record is TextRecord {
  return 'text' in record;
}

/** All the text a record carries, in order: what cleaning passes look at. */
export function recordText(record: DatasetRecord): string {
  if (!isChatRecord(record)) return record.text;
  let text = '';
  for (const message of record.messages) text += text ? `\n${message.content}` : message.content;
  return text;
}

/** `messages[2].role` from `['messages', 2, 'role']`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** `line 17: messages[2].role must be one of system, user, assistant` */
export function describeIssue(line: number, issue: RecordIssue): string {
  return `line ${line}: ${issue.path ? `${issue.path} ` : ''}${issue.message}`;
}
