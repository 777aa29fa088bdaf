import { Body, Button, Container, Head, Heading, Hr, Html, Preview, Section, Text } from '@react-email/components';
import type { EmailContent } from './catalogue.js';
import type { EmailLocale } from './messages.js';

/**
 * The one Bebsy email layout: every message is a greeting, a few paragraphs, optionally a
 * highlighted fact (a voucher code), a list and one button. User-supplied text (names) is
 * escaped by React.
 */
const colors = { brand: '#0a6b8a', text: '#1f2933', muted: '#52606d', background: '#f4f6f8', highlight: '#e6f4f8' };

const styles = {
  body: {
    backgroundColor: colors.background,
    fontFamily: 'Helvetica, Arial, sans-serif',
    color: colors.text,
    margin: 0,
    padding: '24px 0',
  },
  container: { backgroundColor: '#ffffff', borderRadius: '8px', maxWidth: '560px', margin: '0 auto', padding: '32px' },
  brand: { color: colors.brand, fontSize: '22px', fontWeight: 700, margin: '0 0 24px' },
  text: { fontSize: '16px', lineHeight: '24px', margin: '0 0 16px' },
  highlight: {
    backgroundColor: colors.highlight,
    borderRadius: '6px',
    padding: '16px',
    margin: '8px 0 24px',
    textAlign: 'center' as const,
  },
  highlightLabel: { fontSize: '14px', color: colors.muted, margin: '0 0 4px' },
  highlightValue: { fontSize: '24px', fontWeight: 700, letterSpacing: '2px', margin: 0, fontFamily: 'Menlo, Consolas, monospace' },
  listTitle: { fontSize: '16px', fontWeight: 700, margin: '0 0 8px' },
  listItem: { fontSize: '15px', lineHeight: '22px', margin: '0 0 4px' },
  button: {
    backgroundColor: colors.brand,
    color: '#ffffff',
    borderRadius: '6px',
    padding: '12px 20px',
    fontSize: '16px',
    fontWeight: 600,
    textDecoration: 'none',
  },
  closing: { fontSize: '16px', lineHeight: '24px', margin: 0 },
  footer: { fontSize: '12px', color: colors.muted, margin: 0 },
};

export function BebsyEmail({ content, locale }: { content: EmailContent; locale: EmailLocale }) {
  return (
    <Html lang={locale}>
      <Head />
      <Preview>{content.preview}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.brand}>
            Bebsy
          </Heading>
          <Text style={styles.text}>{content.greeting}</Text>
          {content.paragraphs.map((p, i) => (
            <Text key={i} style={styles.text}>
              {p}
            </Text>
          ))}
          {content.highlight && (
            <Section style={styles.highlight}>
              <Text style={styles.highlightLabel}>{content.highlight.label}</Text>
              <Text style={styles.highlightValue}>{content.highlight.value}</Text>
            </Section>
          )}
          {content.list && (
            <Section>
              <Text style={styles.listTitle}>{content.list.title}</Text>
              {content.list.items.map((item, i) => (
                <Text key={i} style={styles.listItem}>
                  • {item}
                </Text>
              ))}
            </Section>
          )}
          {content.action && (
            <Section style={{ margin: '24px 0' }}>
              <Button href={content.action.href} style={styles.button}>
                {content.action.label}
              </Button>
            </Section>
          )}
          {content.closing.map((line, i) => (
            <Text key={i} style={styles.closing}>
              {line}
            </Text>
          ))}
          <Hr style={{ margin: '24px 0 12px' }} />
          <Text style={styles.footer}>Bebsy</Text>
        </Container>
      </Body>
    </Html>
  );
}
