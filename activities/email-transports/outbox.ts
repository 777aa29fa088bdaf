import type { Db } from '../../db/knex.js';
import { getOutboxMessage, keepInOutbox } from '../../db/repositories/email-outbox.js';
import { sentResult, type EmailTransport } from './transport.js';

/** EMAIL_TRANSPORT=outbox: the outbox is the transport; the message is marked sent there (admins read it in the UI). */
export function outboxTransport(db: Db): EmailTransport {
  return {
    async send(row) {
      const kept = await keepInOutbox(db, row.id);
      // Nothing updated: a concurrent attempt got there first; report what it stored.
      return kept ? sentResult(kept, false) : sentResult((await getOutboxMessage(db, row.id))!, true);
    },
  };
}
