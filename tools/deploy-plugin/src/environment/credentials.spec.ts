import { generateSecret, htpasswdLine, htpasswdSalt, sha512Crypt } from './credentials';

describe('sha512Crypt', () => {
  // Vectors produced by `openssl passwd -6 -salt <salt> <password>`.
  it.each([
    ['Hello world!', 'saltsalt', '$6$saltsalt$pn.eNCAqRIao3pxsOGdjVa9wVR7Rb/3WnbxOluoQKVZPzLuyetx3yF6VIZDfQnn/arrFVfrq3BqRb9gLqhI5z0'],
    ['Hello world!', 'saltstringsaltstring', '$6$saltstringsaltst$e.3mR68CqZEpesEX1HlFZT6sEanSOjM/b5UoDyDo00a8syek2cJldMjrbtKP86.FJvzluVR7nc3DNzelAwTxj.'],
    [
      'a much longer password with ünïcode and more than sixty-four bytes of input 0123456789',
      'Zz9./',
      '$6$Zz9./$EJo/bd9WNAXc71IjfDvYeLB69OtfECC/jF0a18gn1Jku7TzK.HEWCyFEckAQsEBHYAsS6rwhrjO9NfHTJu8WU/',
    ],
  ])('matches openssl for %j with salt %j', (password, salt, expected) => {
    expect(sha512Crypt(password, salt)).toBe(expected);
  });
});

describe('htpasswdLine', () => {
  it('writes user:$6$salt$hash', () => {
    expect(htpasswdLine('qa', 'Hello world!', 'saltsalt')).toBe('qa:$6$saltsalt$pn.eNCAqRIao3pxsOGdjVa9wVR7Rb/3WnbxOluoQKVZPzLuyetx3yF6VIZDfQnn/arrFVfrq3BqRb9gLqhI5z0');
  });

  it('can reuse the salt of an existing line, so that an unchanged password leaves the file as it is', () => {
    const line = htpasswdLine('qa', 'qa123');
    expect(htpasswdLine('qa', 'qa123', htpasswdSalt(`${line}\n`, 'qa'))).toBe(line);
    expect(htpasswdSalt(line, 'other')).toBeUndefined();
  });

  it('rejects a user name with a colon', () => {
    expect(() => htpasswdLine('a:b', 'x')).toThrow(/must not contain/);
  });
});

describe('generateSecret', () => {
  it('is URL-safe and at least 32 characters long', () => {
    const s = generateSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(generateSecret()).not.toBe(s);
  });
});
