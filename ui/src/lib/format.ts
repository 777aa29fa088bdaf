import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { INTL_LOCALE, type Language } from '../i18n';

export const TIME_ZONE = 'Europe/Amsterdam';

/** Formatting through Intl in the UI language, times in Europe/Amsterdam. */
export function makeFormat(language: Language) {
  const locale = INTL_LOCALE[language];
  const dateTime = new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, dateStyle: 'medium' });
  // Calendar dates (YYYY-MM-DD) have no time zone: format them as they are.
  const calendar = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', dateStyle: 'medium' });
  const calendarShort = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', day: 'numeric', month: 'short' });
  const number = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const euros = new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const sizes = (['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const).map(
    (unit) => new Intl.NumberFormat(locale, { style: 'unit', unit, maximumFractionDigits: 1 }),
  );
  const parseCalendar = (value: string) => new Date(`${value.slice(0, 10)}T00:00:00Z`);
  return {
    locale,
    dateTime: (value: string | null | undefined) => (value ? dateTime.format(new Date(value)) : '—'),
    date: (value: string | null | undefined) => (value ? dateOnly.format(new Date(value)) : '—'),
    calendarDate: (value: string | null | undefined) => (value ? calendar.format(parseCalendar(value)) : '—'),
    calendarShort: (value: string) => calendarShort.format(parseCalendar(value)),
    number: (value: number) => number.format(value),
    percent: (value: number) => percent.format(value),
    money: (value: number | null | undefined, currency = 'EUR') => {
      if (value === null || value === undefined) return '—';
      return currency === 'EUR' ? euros.format(value) : new Intl.NumberFormat(locale, { style: 'currency', currency }).format(value);
    },
    /** A file size in the largest unit that keeps it at 1 or more: "275 byte", "67,8 MB". */
    fileSize: (bytes: number) => {
      let unit = 0;
      while (unit < sizes.length - 1 && bytes >= 1024 ** (unit + 1)) unit++;
      return sizes[unit].format(bytes / 1024 ** unit);
    },
    /** "3 days ago" style, for ages in queues. */
    ago: (value: string) => {
      const seconds = (new Date(value).getTime() - Date.now()) / 1000;
      const abs = Math.abs(seconds);
      if (abs < 60) return relative.format(Math.round(seconds), 'second');
      if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
      if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
      return relative.format(Math.round(seconds / 86400), 'day');
    },
  };
}

export type Format = ReturnType<typeof makeFormat>;

export function useFormat(): Format {
  const { i18n } = useTranslation();
  const language: Language = i18n.language === 'en' ? 'en' : 'nl';
  return useMemo(() => makeFormat(language), [language]);
}
