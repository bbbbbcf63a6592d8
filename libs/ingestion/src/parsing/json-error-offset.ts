const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Where JSON text stops being valid (V8's messages do not always say): a
 * scan with an explicit stack, so deep nesting cannot overflow it.
 * Answers -1 for valid JSON.
 */
export function jsonErrorOffset(s: string): number {
  const n = s.length;
  let i = 0;
  const stack: Array<'{' | '['> = [];
  let state: 'value' | 'key' | 'after' = 'value';
  let justOpened = false;
  const skipSpace = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  };
  const string = (): boolean => {
    i++;
    while (i < n) {
      const c = s[i];
      if (c === '"') {
        i++;
        return true;
      }
      if (c === '\\') {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          i++;
          return false;
        }
        continue;
      }
      if (c < ' ') return false;
      i++;
    }
    return false;
  };
  const token = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    const match = pattern.exec(s);
    if (!match) return false;
    i += match[0].length;
    return true;
  };

  for (;;) {
    skipSpace();
    if (state === 'value') {
      if (i >= n) return i;
      const c = s[i];
      if (c === '{') {
        stack.push('{');
        i++;
        state = 'key';
        justOpened = true;
      } else if (c === '[') {
        stack.push('[');
        i++;
        skipSpace();
        if (s[i] === ']') {
          stack.pop();
          i++;
          state = 'after';
        }
      } else if (c === '"') {
        if (!string()) return i;
        state = 'after';
      } else if (token(NUMBER) || token(LITERAL)) {
        state = 'after';
      } else {
        return i;
      }
    } else if (state === 'key') {
      if (s[i] === '}' && justOpened) {
        stack.pop();
        i++;
        state = 'after';
        continue;
      }
      if (s[i] !== '"' || !string()) return i;
      skipSpace();
      if (s[i] !== ':') return i;
      i++;
      state = 'value';
      justOpened = false;
    } else {
      if (!stack.length) return i < n ? i : -1;
      const top = stack[stack.length - 1];
      if (s[i] === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
        justOpened = false;
      } else if ((top === '{' && s[i] === '}') || (top === '[' && s[i] === ']')) {
        stack.pop();
        i++;
      } else {
        return i;
      }
    }
  }
}
