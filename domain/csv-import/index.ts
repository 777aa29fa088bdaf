/** Customer CSV import: encoding detection, header mapping and row checks (pure; issue 5). */
export * from './encoding.js';
export * from './header.js';
export * from './rows.js';
export * from './status.js';
