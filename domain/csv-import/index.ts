/** Customer CSV import: encoding detection, header mapping, record reading and row checks (pure; issue 5). */
export * from './duplicates.js';
export * from './encoding.js';
export * from './header.js';
export * from './records.js';
export * from './rows.js';
export * from './status.js';
