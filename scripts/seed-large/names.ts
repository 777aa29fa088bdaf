/**
 * Dutch names and email addresses. Weights follow the Meertens Instituut's frequency lists
 * roughly (de Jong, Jansen and de Vries on top), with the tussenvoegsels written the Dutch way
 * after a first name ("Jan van der Berg", "Anouk 't Hart") and the Turkish, Moroccan,
 * Surinamese and other names that the Netherlands has too. Emails drop diacritics, spaces and
 * apostrophes ("Zoë van 't Hof" → "zoe.vanthof") and live at the providers Dutch people use.
 */
import { type Rng, Weighted, weighted } from './random.js';

// [name, weight]; the weights are relative (roughly thousands of bearers among adults).
const FIRST_NAMES: ReadonlyArray<readonly [string, number]> = [
  // women
  ['Maria', 30],
  ['Anna', 14],
  ['Johanna', 10],
  ['Cornelia', 8],
  ['Els', 9],
  ['Ingrid', 10],
  ['Monique', 12],
  ['Sandra', 14],
  ['Linda', 14],
  ['Marieke', 10],
  ['Anouk', 12],
  ['Sanne', 14],
  ['Lisa', 14],
  ['Laura', 13],
  ['Femke', 11],
  ['Eva', 13],
  ['Emma', 14],
  ['Sophie', 12],
  ['Julia', 12],
  ['Lotte', 11],
  ['Fleur', 9],
  ['Iris', 10],
  ['Anne', 13],
  ['Marloes', 8],
  ['Esther', 11],
  ['Petra', 11],
  ['Wilma', 9],
  ['Karin', 11],
  ['Astrid', 7],
  ['Mirjam', 7],
  ['Ilse', 8],
  ['Nicole', 10],
  ['Kim', 10],
  ['Naomi', 7],
  ['Romy', 8],
  ['Lieke', 7],
  ['Maud', 7],
  ['Noor', 8],
  ['Tess', 7],
  ['Sara', 8],
  ['Fenna', 5],
  ['Isa', 6],
  ['Mila', 5],
  ['Zoë', 5],
  ['Chloë', 3],
  ['Anaïs', 2],
  ['Inge', 9],
  ['Marjolein', 6],
  ['Annemiek', 5],
  ['Anne-Marie', 5],
  ['Wietske', 2],
  ['Froukje', 2],
  ['Hanneke', 6],
  ['Judith', 7],
  ['Renée', 4],
  ['Daniëlle', 6],
  ['Yvonne', 9],
  ['Patricia', 7],
  ['Manon', 7],
  ['Charlotte', 8],
  ['Floor', 5],
  ['Demi', 6],
  ['Britt', 6],
  ['Amber', 6],
  ['Fatima', 5],
  ['Samira', 3],
  ['Yasmina', 2],
  ['Ayşe', 2],
  ['Elif', 2],
  ['Priya', 1],
  ['Saskia', 8],
  ['Ellen', 8],
  ['Joke', 6],
  ['Gerda', 6],
  ['Tineke', 5],
  ['Annelies', 6],
  ['Miriam', 6],
  ['Suzanne', 7],
  ['Vera', 6],
  ['Merel', 7],
  ['Roos', 7],
  ['Jasmijn', 5],
  ['Nina', 6],
  ['Willemijn', 3],
  ['Loes', 4],
  // men
  ['Jan', 30],
  ['Peter', 22],
  ['Kees', 10],
  ['Johan', 12],
  ['Hans', 14],
  ['Henk', 10],
  ['Piet', 8],
  ['Willem', 10],
  ['Gerard', 9],
  ['Wim', 9],
  ['Marco', 12],
  ['Mark', 16],
  ['Dennis', 12],
  ['Martijn', 12],
  ['Jeroen', 14],
  ['Erik', 12],
  ['Bas', 10],
  ['Niels', 11],
  ['Sander', 12],
  ['Thomas', 14],
  ['Tim', 13],
  ['Kevin', 11],
  ['Robin', 9],
  ['Lars', 9],
  ['Daan', 11],
  ['Sem', 7],
  ['Luuk', 8],
  ['Bram', 10],
  ['Ruben', 10],
  ['Jesse', 9],
  ['Thijs', 9],
  ['Stijn', 9],
  ['Joost', 8],
  ['Maarten', 9],
  ['Pieter', 8],
  ['Rob', 9],
  ['Frank', 10],
  ['Michel', 9],
  ['Richard', 9],
  ['Paul', 10],
  ['Ad', 5],
  ['Cor', 5],
  ['Ruud', 7],
  ['René', 7],
  ['Koen', 9],
  ['Jasper', 9],
  ['Wouter', 9],
  ['Vincent', 9],
  ['Arjen', 6],
  ['Sjoerd', 4],
  ['Douwe', 2],
  ['Sven', 7],
  ['Milan', 6],
  ['Noah', 5],
  ['Finn', 5],
  ['Levi', 4],
  ['Jordy', 5],
  ['Rick', 8],
  ['Roy', 6],
  ['Mohamed', 8],
  ['Ahmed', 4],
  ['Youssef', 3],
  ['Mehmet', 3],
  ['Emre', 2],
  ['Rachid', 2],
  ['Hamza', 2],
  ['Jan-Willem', 4],
  ['Pieter-Jan', 2],
  ['Gijs', 6],
  ['Teun', 5],
  ['Job', 4],
  ['Floris', 5],
  ['Hidde', 3],
  ['Hugo', 5],
  ['Max', 7],
  ['Julian', 5],
  ['Stefan', 8],
  ['Patrick', 9],
  ['Edwin', 8],
  ['Ronald', 8],
  ['Arno', 5],
  ['Theo', 6],
  ['Bert', 6],
  ['Gert-Jan', 3],
  ['Ton', 6],
  ['Leo', 6],
  ['Joris', 6],
  ['Rutger', 3],
];

// Surnames with their tussenvoegsel as written after a first name.
const SURNAMES: ReadonlyArray<readonly [string, number]> = [
  ['de Jong', 86],
  ['Jansen', 74],
  ['de Vries', 73],
  ['van den Berg', 61],
  ['van Dijk', 58],
  ['Bakker', 58],
  ['Janssen', 56],
  ['Visser', 50],
  ['Smit', 44],
  ['Meijer', 41],
  ['de Boer', 39],
  ['Mulder', 37],
  ['de Groot', 36],
  ['Bos', 36],
  ['Vos', 32],
  ['Peters', 31],
  ['Hendriks', 31],
  ['van Leeuwen', 30],
  ['Dekker', 29],
  ['Brouwer', 28],
  ['de Wit', 28],
  ['Dijkstra', 27],
  ['Smits', 26],
  ['de Graaf', 26],
  ['van der Meer', 25],
  ['van der Linden', 24],
  ['Kok', 24],
  ['Jacobs', 23],
  ['de Haan', 23],
  ['Vermeulen', 22],
  ['van den Heuvel', 22],
  ['van der Veen', 21],
  ['van den Broek', 21],
  ['de Bruijn', 21],
  ['de Bruin', 20],
  ['van der Heijden', 20],
  ['Schouten', 20],
  ['van Beek', 20],
  ['Willems', 19],
  ['van Vliet', 19],
  ['van de Ven', 18],
  ['Hoekstra', 18],
  ['Maas', 18],
  ['Verhoeven', 18],
  ['Koster', 17],
  ['van Dam', 17],
  ['van der Wal', 17],
  ['Prins', 17],
  ['Blom', 17],
  ['Huisman', 17],
  ['Peeters', 16],
  ['de Jonge', 16],
  ['Kuipers', 16],
  ['van Veen', 16],
  ['Post', 16],
  ['Kuiper', 15],
  ['Veenstra', 15],
  ['Kramer', 15],
  ['van den Brink', 15],
  ['Scholten', 15],
  ['van Wijk', 15],
  ['Postma', 14],
  ['Martens', 14],
  ['Vink', 14],
  ['de Ruiter', 14],
  ['Timmermans', 13],
  ['Groen', 13],
  ['Gerritsen', 13],
  ['Jonker', 13],
  ['van Loon', 13],
  ['Boer', 13],
  ['van der Velde', 12],
  ['Willemsen', 12],
  ['Smeets', 12],
  ['de Lange', 12],
  ['de Vos', 12],
  ['Bosch', 12],
  ['van Dongen', 11],
  ['Schipper', 11],
  ['de Koning', 11],
  ['van der Laan', 11],
  ['Koning', 11],
  ['van der Velden', 11],
  ['Driessen', 11],
  ['van Doorn', 11],
  ['Hermans', 10],
  ['Evers', 10],
  ['van den Bosch', 10],
  ['van der Meulen', 10],
  ['Hofman', 10],
  ['Bosman', 10],
  ['Wolters', 10],
  ['Sanders', 10],
  ['van der Horst', 10],
  ['Mol', 9],
  ['Kuijpers', 9],
  ['Molenaar', 9],
  ['van de Pol', 9],
  ['de Leeuw', 9],
  ['Verbeek', 9],
  ["'t Hart", 6],
  ["van 't Hof", 3],
  ['van Beers', 5],
  ['ter Horst', 4],
  ['ten Brink', 4],
  ['van Os', 4],
  ['de Wilde', 6],
  ['van Rijn', 6],
  ['Brinkman', 7],
  ['Hoogendoorn', 6],
  ['Pronk', 5],
  ['Zijlstra', 6],
  ['Wijnands', 3],
  ['Yılmaz', 6],
  ['Kaya', 4],
  ['Demir', 4],
  ['Şahin', 3],
  ['Öztürk', 3],
  ['Çelik', 3],
  ['El Amrani', 3],
  ['Bouzid', 2],
  ['Benali', 2],
  ['El Idrissi', 2],
  ['Ait Taleb', 1],
  ['Nguyen', 3],
  ['Tjon', 2],
  ['Pinas', 2],
  ['Sewdien', 1],
  ['Ramdin', 2],
  ['Wong', 3],
  ['Kartosen', 1],
  ['Hasselbaink', 1],
  ['dos Santos', 2],
  ['García', 2],
  ['Kowalski', 2],
  ['Nowak', 2],
  ['Müller', 2],
  ['Schmidt', 2],
];

const TUSSENVOEGSELS = new Set(['van', 'de', 'der', 'den', 'het', "'t", 'ter', 'ten', 'in', 'te', 'dos', 'el', 'ait']);

/** Lower case a–z (and inner hyphens): "Zoë" → "zoe", "van 't Hof" → "vanthof", "Yılmaz" → "yilmaz". */
export function asciiFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ı/g, 'i')
    .toLowerCase()
    .replace(/[^a-z-]/g, '')
    .replace(/^-+|-+$/g, '');
}

interface FirstName {
  display: string;
  mail: string;
}

interface Surname {
  display: string;
  /** "vandenberg" */
  mail: string;
  /** "vd" + "berg" style short form for emails ("jan.vdberg"), or the whole name without one. */
  short: string;
}

function surname(display: string): Surname {
  const words = display.split(' ');
  const prefix = words.filter((w, i) => i < words.length - 1 && TUSSENVOEGSELS.has(w.toLowerCase()));
  const base = words.slice(prefix.length).join(' ');
  const mail = asciiFold(display);
  const short = prefix.length ? prefix.map((w) => asciiFold(w)[0] ?? '').join('') + asciiFold(base) : mail;
  return { display, mail, short };
}

const FIRST = new Weighted<FirstName>(
  FIRST_NAMES.map(([display]) => ({ display, mail: asciiFold(display) })),
  FIRST_NAMES.map(([, w]) => w),
);
const LAST = new Weighted<Surname>(
  SURNAMES.map(([display]) => surname(display)),
  SURNAMES.map(([, w]) => w),
);

/** Where Dutch households have their mail. */
const DOMAINS = weighted<string>([
  ['gmail.com', 32],
  ['hotmail.com', 13],
  ['outlook.com', 10],
  ['hotmail.nl', 6],
  ['live.nl', 5],
  ['ziggo.nl', 7],
  ['kpnmail.nl', 6],
  ['icloud.com', 5],
  ['planet.nl', 3],
  ['home.nl', 3],
  ['xs4all.nl', 2],
  ['yahoo.com', 2],
  ['upcmail.nl', 2],
  ['telfort.nl', 1],
  ['casema.nl', 1],
  ['online.nl', 1],
  ['outlook.nl', 1],
]);

/** Throw-away addresses that the fraud rules flag (a subset of domain/referral-rules.ts's list). */
export const DISPOSABLE_DOMAINS = weighted<string>([
  ['mailinator.com', 4],
  ['yopmail.com', 3],
  ['guerrillamail.com', 2],
  ['tempmail.com', 2],
  ['10minutemail.com', 1],
  ['trashmail.com', 1],
]);

export interface PersonName {
  first: FirstName;
  last: Surname;
}

export function pickName(rng: Rng): PersonName {
  return { first: FIRST.pick(rng), last: LAST.pick(rng) };
}

export function displayName(name: PersonName): string {
  return `${name.first.display} ${name.last.display}`;
}

/** The part of an address before any number, always ending in a letter: "jan.devries", "jdevries", ... */
export function mailLocal(rng: Rng, { first, last }: PersonName): string {
  const f = first.mail;
  const l = last.mail;
  const x = rng.next();
  if (x < 0.3) return `${f}.${l}`;
  if (x < 0.44) return `${f}${l}`;
  if (x < 0.56) return `${f[0]}${l}`;
  if (x < 0.64) return `${f[0]}.${l}`;
  if (x < 0.7) return `${f}_${l}`;
  if (x < 0.76) return `${l}.${f}`;
  if (x < 0.82) return `${f}.${last.short}`;
  if (x < 0.92) return f;
  if (x < 0.96) return `${l}${f}`;
  return `${f}${l[0]}`;
}

export function pickDomain(rng: Rng): string {
  return DOMAINS.pick(rng);
}
