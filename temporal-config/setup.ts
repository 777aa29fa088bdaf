/**
 * `npm run temporal:setup`: registers the referral search attributes in TEMPORAL_NAMESPACE on
 * TEMPORAL_ADDRESS (a cluster or Temporal Cloud). Safe to run on every deploy.
 */
import { Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { temporalConnectionOptions } from './connection.js';
import { registerSearchAttributes } from './search-attributes.js';

const config = loadConfigOrExit();
if (!config.temporal.address) {
  console.error('TEMPORAL_ADDRESS is not set: `npm start` registers the attributes on its own dev server.');
  process.exit(1);
}
const connection = await Connection.connect(temporalConnectionOptions(config, config.temporal.address));
const added = await registerSearchAttributes(connection, config.temporal.namespace);
console.log(
  added.length
    ? `registered ${added.join(', ')} in ${config.temporal.namespace}`
    : `search attributes already present in ${config.temporal.namespace}`,
);
await connection.close();
