/**
 * The served host's token check (electron/host/auth.ts): tokens of 128 bits or more pass, also
 * random ones that happen to lack a character class; short, patterned or narrow-alphabet tokens are
 * refused with words saying why.
 */
import { describe, expect, it } from 'vitest';
import { generateToken, tokenStrengthProblem } from '../../electron/host/auth';

describe('serve token strength', () => {
  it.each([
    ['22 base64url characters', 'q8Zr-1_xKpW3mVb7TnYc2D'],
    ['22 letters of both cases (no digit came up)', 'qZrxKpWmVbTnYcDaLsGhJe'],
    ['22 characters without capitals (three classes)', 'q8zr-1_xkpw3mvb7tnyc2d'],
    ['32 hex digits', 'c0ffee4b1d9e2a7f3c5d8e0b6a1f9d27'],
    ['39 digits', '987654321098765432109876543210987654321'],
  ])('accepts %s (128 bits or more)', (_label, token) => {
    expect(tokenStrengthProblem(token)).toBeNull();
  });

  it('accepts every generated token', () => {
    for (let i = 0; i < 1000; i++) expect(tokenStrengthProblem(generateToken())).toBeNull();
  });

  it.each([
    ['21 base64url characters', 'q8Zr-1_xKpW3mVb7TnYc2', /about 126 bits/],
    ['31 hex digits', 'c0ffee4b1d9e2a7f3c5d8e0b6a1f9d2', /about 124 bits/],
    ['38 digits', '12345678901234567890123456789012345678', /about 126 bits/],
    ['27 lowercase letters', 'qwertyuiopasdfghjklzxcvbnmq', /about 126 bits/],
    ['a repeated pattern', 'abAB'.repeat(20), /repeats a few characters/],
    ['other characters', `${generateToken()}!`, /may only hold/],
    ['an empty token', '', /about 0 bits|bits/],
    ['a huge token', 'a'.repeat(257), /longer than 256/],
  ])('refuses %s', (_label, token, words) => {
    const problem = tokenStrengthProblem(token);
    expect(problem).toMatch(words);
  });
});
