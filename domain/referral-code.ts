/**
 * Referral codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), so a
 * code read aloud or typed from a phone screen is unambiguous. 31 symbols: 31^8, about 8.5e11 codes.
 */
export const REFERRAL_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const REFERRAL_CODE_LENGTH = 8;
export const REFERRAL_CODE_PATTERN = `^[${REFERRAL_CODE_ALPHABET}]{${REFERRAL_CODE_LENGTH}}$`;

const codePattern = new RegExp(REFERRAL_CODE_PATTERN);

/** Normalises what a person typed (case, spaces, dashes) to the stored form. */
export function normaliseReferralCode(input: string): string {
  return input.trim().toUpperCase().replace(/[\s-]/g, '');
}

export function isReferralCode(code: string): boolean {
  return codePattern.test(code);
}

/** Builds a code from a uniform random source such as `crypto.randomInt` (no modulo bias). */
export function generateReferralCode(randomInt: (max: number) => number): string {
  let code = '';
  for (let i = 0; i < REFERRAL_CODE_LENGTH; i++) code += REFERRAL_CODE_ALPHABET[randomInt(REFERRAL_CODE_ALPHABET.length)];
  return code;
}
