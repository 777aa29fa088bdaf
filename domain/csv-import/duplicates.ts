import type { ImportRow } from './rows.js';

/**
 * The file's accepted customer numbers and emails, the first row with one of them wins (a
 * rejected row claims nothing). Kept as 53-bit hashes in typed arrays: Sets of a million-row
 * file's strings cost seconds of garbage collection. A matching hash makes a row a *possible*
 * duplicate of the line that claimed it; the apply phase compares the two staged rows and
 * rejects only real duplicates, so a hash collision is imported like any other row.
 */
export class FileDuplicates {
  private readonly ids = new HashLines();
  private readonly emails = new HashLines();

  /**
   * The line of the accepted row this one may repeat (its number first, then its email), or
   * null after claiming the row's number and email for `line`.
   */
  claim(row: ImportRow, line: number): number | null {
    const idHash = hash53(row.bebsy_customer_id);
    const idLine = this.ids.get(idHash);
    if (idLine) return idLine;
    const emailHash = hash53(row.email);
    const emailLine = this.emails.get(emailHash);
    if (emailLine) return emailLine;
    this.ids.set(idHash, line);
    this.emails.set(emailHash, line);
    return null;
  }
}

/** Two FNV-1a hashes of the UTF-16 code units, joined to 53 bits; never 0 (the empty slot). */
function hash53(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + (b >>> 11) + 1;
}

/** An open-addressing table from a hash to a line number, at most half full. */
class HashLines {
  private keys = new Float64Array(1 << 16);
  private lines = new Int32Array(1 << 16);
  private size = 0;

  /** The line stored for `key`, or 0. */
  get(key: number): number {
    const mask = this.keys.length - 1;
    for (let slot = key % this.keys.length; ; slot = (slot + 1) & mask) {
      if (this.keys[slot] === key) return this.lines[slot];
      if (this.keys[slot] === 0) return 0;
    }
  }

  set(key: number, line: number): void {
    if (++this.size * 2 > this.keys.length) this.grow();
    this.place(key, line);
  }

  private place(key: number, line: number): void {
    const mask = this.keys.length - 1;
    let slot = key % this.keys.length;
    while (this.keys[slot] !== 0 && this.keys[slot] !== key) slot = (slot + 1) & mask;
    this.keys[slot] = key;
    this.lines[slot] = line;
  }

  private grow(): void {
    const { keys, lines } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.lines = new Int32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.place(keys[i], lines[i]);
  }
}
