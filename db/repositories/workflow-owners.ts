import type { Db } from '../knex.js';

/** The rows a workflow works on, by the workflow type that owns them. */
export interface OwnedRow {
  table: 'referrals' | 'customer_imports';
  id: string;
}

/** The workflow id the row holds (the workflow that owns it), or null when there is no such row. */
export async function rowWorkflowId(db: Db, row: OwnedRow): Promise<string | null> {
  const found = await db(row.table).where({ id: row.id }).first<{ workflow_id: string } | undefined>('workflow_id');
  return found?.workflow_id ?? null;
}
