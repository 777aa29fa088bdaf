import type { ImportRow } from './rows.js';

/**
 * The file's accepted customer numbers and emails, the first row with one of them wins (a
 * rejected row claims nothing). Kept as hashes in typed arrays: Sets of a million-row file's
 * strings cost seconds of garbage collection. A matching hash makes a row a *possible* duplicate
 * of the line that claimed it; the apply phase compares the two staged rows and rejects only
 * real duplicates, so a hash collision is imported like any other row.
 */
export class FileDuplicates {
  private readonly ids: HashLines;
  private readonly emails: HashLines;

  /** @param expectedRows a guess of the file's rows, so that the tables rarely grow */
  constructor(expectedRows = 0) {
    this.ids = new HashLines(expectedRows);
    this.emails = new HashLines(expectedRows);
  }

  /**
   * The line of the accepted row this one may repeat (its number first, then its email), or
   * null after claiming the row's number and email for `line`.
   */
  claim(row: ImportRow, line: number): number | null {
    const idLine = this.ids.get(row.bebsy_customer_id);
    if (idLine) return idLine;
    const emailLine = this.emails.get(row.email);
    if (emailLine) return emailLine;
    this.ids.set(line);
    this.emails.set(line);
    return null;
  }
}

/**
 * An open-addressing table from a string's hashes to a line number, at most three quarters
 * full. Two 32-bit FNV-1a hashes of the string: the first picks the home slot, and two strings
 * only meet when both agree (about once in 10^19 pairs). A slot holds both hashes and the line
 * side by side (12 bytes): one cache miss a lookup. `set` stores the line for the string of the
 * last `get` that found nothing.
 */
class HashLines {
  private slots: Int32Array;
  private size = 0;
  private lastHome = 0;
  private lastCheck = 0;

  constructor(expected: number) {
    let capacity = 1 << 16;
    while (capacity * 3 < expected * 4) capacity *= 2;
    this.slots = new Int32Array(capacity * 3);
  }

  /** The line stored for `text`'s hashes, or 0. */
  get(text: string): number {
    let home = 0x811c9dc5;
    let check = 0x01000193;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      home = Math.imul(home ^ c, 0x01000193);
      check = Math.imul(check ^ c, 0x5bd1e995);
    }
    check = check || 1; // 0 marks an empty slot
    this.lastHome = home;
    this.lastCheck = check;
    const slots = this.slots;
    const mask = slots.length / 3 - 1;
    for (let slot = home & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 3;
      if (slots[at + 1] === 0) return 0;
      if (slots[at + 1] === check && slots[at] === home) return slots[at + 2];
    }
  }

  set(line: number): void {
    if (++this.size * 4 > (this.slots.length / 3) * 3) this.grow();
    place(this.slots, this.lastHome, this.lastCheck, line);
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 3) if (old[at + 1] !== 0) place(this.slots, old[at], old[at + 1], old[at + 2]);
  }
}

function place(slots: Int32Array, home: number, check: number, line: number): void {
  const mask = slots.length / 3 - 1;
  let slot = home & mask;
  while (slots[slot * 3 + 1] !== 0) slot = (slot + 1) & mask;
  slots[slot * 3] = home;
  slots[slot * 3 + 1] = check;
  slots[slot * 3 + 2] = line;
}
