/**
 * A sample's value in Prometheus' text format: the line `name{labels} value`, the labels matched
 * as written (`state="waiting"`), none for a metric without labels. For the tests and benchmarks
 * that read the API's and the worker's /metrics.
 */
export function prometheusSample(text: string, name: string, labels = ''): number | undefined {
  const prefix = `${name}${labels ? `{${labels}}` : ''} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length).split(' ')[0]);
}
