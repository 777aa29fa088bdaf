/** Email addresses are compared case-insensitively and stored lower-cased and trimmed. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A pragmatic check (the HTML living standard's pattern): one @, a dotted domain, no spaces. */
const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

export function isEmail(email: string): boolean {
  return email.length <= 254 && EMAIL_PATTERN.test(email);
}

const DOTS_IGNORED_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The mailbox an address really delivers to, for fraud checks: plus-tags dropped
 * (`jan+2@x.nl` is `jan@x.nl`) and, at Gmail, dots in the local part ignored.
 */
export function canonicalMailbox(email: string): string {
  const [local, domain = ''] = normaliseEmail(email).split('@');
  let mailbox = local.split('+')[0];
  const canonicalDomain = domain === 'googlemail.com' ? 'gmail.com' : domain;
  if (DOTS_IGNORED_DOMAINS.has(domain)) mailbox = mailbox.replace(/\./g, '');
  return `${mailbox}@${canonicalDomain}`;
}

export function emailDomain(email: string): string {
  return normaliseEmail(email).split('@')[1] ?? '';
}
