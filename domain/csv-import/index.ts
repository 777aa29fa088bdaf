/** Customer CSV import: non-text detection, encoding detection, header mapping, record reading and row checks (pure). */
export * from './binary.js';
export * from './duplicates.js';
export * from './encoding.js';
export * from './header.js';
export * from './records.js';
export * from './rows.js';
export * from './status.js';
