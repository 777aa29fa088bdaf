/**
 * Unique 8-character codes without a uniqueness check: a keyed Feistel permutation of the
 * row's id over the whole code space (31^8), written in the referral-code alphabet. A
 * permutation is a bijection, so distinct ids always give distinct codes, across runs too
 * (the keys are fixed, and each run takes ids above the current maximum).
 *
 * Codes made elsewhere (the API draws them at random) may by chance equal the code of a new
 * id; the seeder finds those few beforehand (`decode` maps a code back to its id) and gives
 * that id its alternative code, `code(ALT_OFFSET + id)`, which no other id can produce.
 */
import { REFERRAL_CODE_ALPHABET, REFERRAL_CODE_LENGTH } from '../../domain/referral-code.js';
import { hash32 } from './random.js';

const BASE = REFERRAL_CODE_ALPHABET.length; // 31
const HALF_DIGITS = REFERRAL_CODE_LENGTH / 2; // 4
const HALF = BASE ** HALF_DIGITS; // 923521
/** 31^8 ≈ 8.5e11 codes. */
export const CODE_SPACE = HALF * HALF;
/** Ids below this have a primary code; `ALT_OFFSET + id` is the alternative slot. */
export const ALT_OFFSET = Math.floor(CODE_SPACE / 2);

const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE; i++) VALUE_OF[REFERRAL_CODE_ALPHABET.charCodeAt(i)] = i;

export class CodeScrambler {
  private readonly keys: number[];

  constructor(purpose: string, rounds = 4) {
    let h = 0x2545f491;
    for (let i = 0; i < purpose.length; i++) h = hash32(h, purpose.charCodeAt(i));
    this.keys = Array.from({ length: rounds }, (_, r) => hash32(h, r + 1));
  }

  private round(x: number, key: number): number {
    return hash32(x, key) % HALF;
  }

  /** The code of `n` (0 ≤ n < CODE_SPACE). */
  encode(n: number): string {
    if (!(n >= 0 && n < CODE_SPACE && Number.isInteger(n))) throw new RangeError(`code input out of range: ${n}`);
    let left = Math.floor(n / HALF);
    let right = n % HALF;
    for (const key of this.keys) {
      const next = (left + this.round(right, key)) % HALF;
      left = right;
      right = next;
    }
    return digits(left) + digits(right);
  }

  /** The `n` whose code this is, or -1 when the text is not a code. */
  decode(code: string): number {
    if (code.length !== REFERRAL_CODE_LENGTH) return -1;
    let left = 0;
    let right = 0;
    for (let i = 0; i < REFERRAL_CODE_LENGTH; i++) {
      const c = code.charCodeAt(i);
      const v = c < 128 ? VALUE_OF[c] : -1;
      if (v < 0) return -1;
      if (i < HALF_DIGITS) left = left * BASE + v;
      else right = right * BASE + v;
    }
    for (let r = this.keys.length - 1; r >= 0; r--) {
      const previous = (right - this.round(left, this.keys[r]) + HALF) % HALF;
      right = left;
      left = previous;
    }
    return left * HALF + right;
  }
}

function digits(value: number): string {
  let out = '';
  for (let i = 0; i < HALF_DIGITS; i++) {
    out = REFERRAL_CODE_ALPHABET[value % BASE] + out;
    value = Math.floor(value / BASE);
  }
  return out;
}

/**
 * The ids in [first, last] whose primary code (or alternative code) is already taken by a code
 * that this scrambler did not give to that id. `taken` receives each existing code.
 */
export class CodeClashes {
  private readonly primary = new Set<number>();
  private readonly alternative = new Set<number>();

  constructor(
    private readonly scrambler: CodeScrambler,
    private readonly first: number,
    private readonly last: number,
  ) {}

  /** Records an existing code (call for every stored value of the column). */
  taken(code: string): void {
    const n = this.scrambler.decode(code);
    if (n < 0) return;
    if (n >= this.first && n <= this.last) this.primary.add(n);
    else if (n - ALT_OFFSET >= this.first && n - ALT_OFFSET <= this.last) this.alternative.add(n - ALT_OFFSET);
  }

  get count(): number {
    return this.primary.size;
  }

  /** The code for a new row `id`: its own, or its alternative when its own is taken. */
  codeFor(id: number): string {
    if (!this.primary.has(id)) return this.scrambler.encode(id);
    if (this.alternative.has(id)) throw new Error(`both codes of id ${id} are already taken (astronomically unlikely)`);
    return this.scrambler.encode(ALT_OFFSET + id);
  }
}
