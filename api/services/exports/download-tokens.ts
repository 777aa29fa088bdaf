import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../../db/knex.js';
import { redeemDownloadNonce } from '../../../db/repositories/download-redemptions.js';
import type { AdminToken } from '../../plugins/auth.js';

interface Grant extends AdminToken {
  /** The export it opens: `referrals?search=x&status=paid` (query keys sorted, without the token). */
  target: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  nonce: string;
}

export type Redeemed = { ok: true; user: AdminToken } | { ok: false; reason: string };

/**
 * Short-lived, one-time download tokens, so that a browser can download an export natively
 * (a plain link, streamed to disk) without the bearer token, which it cannot send in a
 * navigation. A token opens one export (the same entity, filters and format), once, within
 * its lifetime. It is an HMAC-signed grant under a key derived from JWT_SECRET, so it works on
 * any API instance and can never pass as a session JWT. The "once" is kept in the database
 * (`export_download_redemptions`), so it holds across API instances too.
 */
export class DownloadTokens {
  private readonly key: Buffer;

  constructor(
    private readonly db: Db,
    secret: string,
    private readonly lifetimeMs = 60_000,
  ) {
    this.key = createHmac('sha256', secret).update('bebsy export download tokens').digest();
  }

  issue({ sub, username, role }: AdminToken, target: string): { token: string; expiresAt: Date } {
    const grant: Grant = { sub, username, role, target, exp: Date.now() + this.lifetimeMs, nonce: randomBytes(12).toString('base64url') };
    const payload = Buffer.from(JSON.stringify(grant)).toString('base64url');
    return { token: `${payload}.${this.sign(payload)}`, expiresAt: new Date(grant.exp) };
  }

  async redeem(token: string, target: string): Promise<Redeemed> {
    const [payload, signature = ''] = token.split('.');
    const expected = Buffer.from(this.sign(payload));
    // bytes, not characters: a non-ASCII signature of the right length in characters is longer in
    // bytes, and timingSafeEqual throws on buffers of different lengths (Schemathesis found the 500)
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'The download token is not valid' };
    const grant = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Grant;
    if (grant.exp < Date.now()) return { ok: false, reason: 'The download token has expired; start the export again' };
    if (grant.target !== target) return { ok: false, reason: 'The download token was issued for another export' };
    const firstUse = await redeemDownloadNonce(this.db, grant.nonce, new Date(grant.exp));
    if (!firstUse) return { ok: false, reason: 'The download token has been used already; start the export again' };
    return { ok: true, user: { sub: grant.sub, username: grant.username, role: grant.role } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

/** The export a request asks for, as a token's target: the path's entity and its query, keys sorted, without the token. */
export function downloadTarget(entity: string, url: string): string {
  const query = new URLSearchParams(url.split('?')[1] ?? '');
  query.delete('download_token');
  query.sort();
  return `${entity}?${query}`;
}
