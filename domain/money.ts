/** Money is integer cents internally (EUR); the API shows euros as numbers with two decimals. */
export function centsToEuros(cents: number): number {
  return Math.round(cents) / 100;
}

export function eurosToCents(euros: number): number {
  return Math.round(euros * 100);
}
