/** The languages customers, friends and admins are addressed in: Dutch first, English available. */
export const LOCALES = ['nl', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
