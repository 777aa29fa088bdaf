import type { Db } from '../knex.js';

/**
 * Records a download token's nonce as used (export_download_redemptions), dropping the expired
 * ones in the same statement; false when it was used already, by this or another API instance.
 */
export async function redeemDownloadNonce(db: Db, nonce: string, expiresAt: Date): Promise<boolean> {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `WITH expired AS (DELETE FROM export_download_redemptions WHERE expires_at < now())
     INSERT INTO export_download_redemptions (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
    [nonce, expiresAt],
  );
  return rows.length === 1;
}
