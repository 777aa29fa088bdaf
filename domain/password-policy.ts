import { createRequire } from 'node:module';
import type { ZxcvbnFactory as Factory, OptionsType } from '@zxcvbn-ts/core';

/**
 * What a new admin password must be (OWASP ASVS V6, "Authentication"): at least 12 characters,
 * at most 200 (long passphrases welcome), no composition rules, and not easy to guess. "Easy to
 * guess" is zxcvbn's verdict (@zxcvbn-ts/core with its common dictionaries: some 40,000 of the
 * most used passwords from leaked password lists, English words and names, keyboard walks,
 * repeats such as "aaaaaaaaaaaa", sequences, dates and l33t spellings) below score 3, i.e. fewer
 * than 10^8 guesses; and the account's own context (the username, Bebsy, referral) counts as
 * known words.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;
const MIN_SCORE = 3;
const CONTEXT_WORDS = ['bebsy', 'referral', 'referrals', 'admin', 'beheerder', 'wachtwoord', 'password'];

// Loaded on first use: the dictionaries take some 400 ms and 20 MB to unpack, which a process
// that never checks a password (the worker, most of the tests) should not pay.
const require = createRequire(import.meta.url);
let factory: Factory | undefined;
function zxcvbn(): Factory {
  if (factory) return factory;
  const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  const en = require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
  const options: OptionsType = {
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  };
  factory = new ZxcvbnFactory(options);
  return factory;
}

/** "Repeated characters like "aaa" are easy to guess." → "repeated characters like "aaa" are easy to guess". */
const clause = (sentence: string) => sentence.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase());

/**
 * Why a password may not be used, as the end of a sentence about it ("is one of the most common
 * passwords"), or null when it may. `context`: words the account makes easy to guess, such as
 * its username. Never repeats the password itself.
 */
export function passwordProblem(password: string, context: string[] = []): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const result = zxcvbn().check(password, [...CONTEXT_WORDS, ...context.filter(Boolean)]);
  if (result.score >= MIN_SCORE) return null;
  const whole = result.sequence.length === 1 ? result.sequence[0] : undefined;
  if (whole?.pattern === 'dictionary' && whole.dictionaryName === 'passwords-common') {
    return 'is one of the most common passwords; choose another (a few unrelated words make a good one)';
  }
  if (result.sequence.some((match) => match.pattern === 'dictionary' && match.dictionaryName === 'userInputs')) {
    return 'is too easy to guess: it is built on the username or the name of this site; choose a longer one, e.g. a few unrelated words';
  }
  const warning = result.feedback.warning ? `: ${clause(result.feedback.warning)}` : '';
  return `is too easy to guess${warning}; choose a longer one, e.g. a few unrelated words`;
}
