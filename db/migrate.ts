import type { Knex } from 'knex';
import type { Db } from './knex.js';
import * as initial from './migrations/001_initial.js';
import * as dashboardIndexes from './migrations/002_dashboard_indexes.js';
import * as searchIndexes from './migrations/003_search_trigram_indexes.js';
import * as emailOutbox from './migrations/004_email_outbox.js';
import * as emailSmtpProvider from './migrations/005_email_smtp_provider.js';
import * as customerImports from './migrations/006_customer_imports.js';
import * as analyticsRollup from './migrations/007_analytics_rollup.js';
import * as searchStatistics from './migrations/008_search_statistics.js';
import * as exportDownloadRedemptions from './migrations/009_export_download_redemptions.js';
import * as referralFriendLocale from './migrations/010_referral_friend_locale.js';
import * as claimedBookingReference from './migrations/011_claimed_booking_reference.js';
import * as adminSessions from './migrations/012_admin_sessions.js';
import * as importFailure from './migrations/013_import_failure.js';
import * as backups from './migrations/014_backups.js';
import * as referrerDaily from './migrations/015_referrer_daily.js';

/** Migrations are imported statically, so they run the same under tsx, in a bundle and in tests. */
const migrations: Record<string, Knex.Migration> = {
  '001_initial': initial,
  '002_dashboard_indexes': dashboardIndexes,
  '003_search_trigram_indexes': searchIndexes,
  '004_email_outbox': emailOutbox,
  '005_email_smtp_provider': emailSmtpProvider,
  '006_customer_imports': customerImports,
  '007_analytics_rollup': analyticsRollup,
  '008_search_statistics': searchStatistics,
  '009_export_download_redemptions': exportDownloadRedemptions,
  '010_referral_friend_locale': referralFriendLocale,
  '011_claimed_booking_reference': claimedBookingReference,
  '012_admin_sessions': adminSessions,
  '013_import_failure': importFailure,
  '014_backups': backups,
  '015_referrer_daily': referrerDaily,
};

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};

export async function migrateToLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: source })) as [number, string[]];
  return applied;
}
