import type { Knex } from 'knex';

/**
 * The one-time export download tokens already used (api/services/exports/download-tokens.ts),
 * kept in the database so that "once" holds across every API instance. A row outlives its
 * token by nothing: redeeming deletes the expired ones, so the table holds about a minute's
 * downloads (no index but the key).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('export_download_redemptions', (t) => {
    t.text('nonce').primary();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('export_download_redemptions');
}
