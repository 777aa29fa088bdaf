import { render } from '@react-email/render';
import { catalogues, type EmailContent, type Formatters } from './catalogue.js';
import type { EmailKind, EmailLocale, EmailMessage, MessageOf, RenderContext, RenderedEmail } from './messages.js';
import { BebsyEmail } from './template.js';

export * from './messages.js';

const intlLocale: Record<EmailLocale, string> = { nl: 'nl-NL', en: 'en-GB' };

export function formatters(locale: EmailLocale, frontendUrl: string): Formatters {
  const money = new Intl.NumberFormat(intlLocale[locale], { style: 'currency', currency: 'EUR' });
  const date = new Intl.DateTimeFormat(intlLocale[locale], { dateStyle: 'long', timeZone: 'Europe/Amsterdam' });
  const base = frontendUrl.replace(/\/+$/, '');
  return {
    // Intl puts a no-break space in "€ 25,00"; a plain space reads the same and survives every mail client.
    money: (cents) => money.format(cents / 100).replace(/\u00a0/g, ' '),
    date: (iso) => date.format(new Date(iso)),
    link: (path) => `${base}${path.startsWith('/') ? path : `/${path}`}`,
  };
}

/** The words of a message in its locale, before layout (used by renderEmail and previews). */
export function emailContent(message: EmailMessage, context: RenderContext): EmailContent {
  const build = catalogues[message.locale][message.kind] as (data: MessageOf<EmailKind>['data'], f: Formatters) => EmailContent;
  return build(message.data, formatters(message.locale, context.frontendUrl));
}

/** The plain-text part, written from the same words as the HTML (not scraped from it). */
function plainText(content: EmailContent): string {
  const blocks: string[] = [content.greeting, ...content.paragraphs];
  if (content.highlight) blocks.push(`${content.highlight.label}: ${content.highlight.value}`);
  if (content.list) blocks.push([`${content.list.title}:`, ...content.list.items.map((item) => `- ${item}`)].join('\n'));
  if (content.action) blocks.push(`${content.action.label}: ${content.action.href}`);
  blocks.push(content.closing.join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

/** Renders a message to its subject, HTML and plain-text parts. */
export async function renderEmail(message: EmailMessage, context: RenderContext): Promise<RenderedEmail> {
  const content = emailContent(message, context);
  const html = await render(<BebsyEmail content={content} locale={message.locale} />);
  return { subject: content.subject, html, text: plainText(content) };
}
