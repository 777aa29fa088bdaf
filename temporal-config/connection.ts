/**
 * How the API (Connection) and the worker (NativeConnection) reach Temporal: plain gRPC for the
 * dev server and compose, TLS or mTLS for a self-hosted cluster, an API key (and TLS) for
 * Temporal Cloud. One function builds the options both connections take, so the two cannot
 * drift apart (test/temporal-connection.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { Config, TemporalTlsConfig } from '../config/env.js';

/** The part of ConnectionOptions / NativeConnectionOptions both SDK connections share. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/** A PEM given in the variable itself, or the path of a file holding it. */
export function readPem(value: string, variable: string): Buffer {
  if (value.trimStart().startsWith('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (error) {
    throw new Error(
      `${variable}: cannot read the PEM file ${value} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { cause: error },
    );
  }
}

function tlsOptions(tls: TemporalTlsConfig): NonNullable<TemporalConnectionOptions['tls']> {
  return {
    ...(tls.serverName && { serverNameOverride: tls.serverName }),
    ...(tls.ca && { serverRootCACertificate: readPem(tls.ca, 'TEMPORAL_TLS_CA') }),
    ...(tls.clientCert &&
      tls.clientKey && {
        clientCertPair: { crt: readPem(tls.clientCert, 'TEMPORAL_TLS_CERT'), key: readPem(tls.clientKey, 'TEMPORAL_TLS_KEY') },
      }),
  };
}

/** The connection options for `address` under the configured TLS and API key. */
export function temporalConnectionOptions(config: Pick<Config, 'temporal'>, address: string): TemporalConnectionOptions {
  const { tls, apiKey } = config.temporal;
  return {
    address,
    ...(tls && { tls: tlsOptions(tls) }),
    ...(apiKey && { apiKey }),
  };
}

/** For log lines: how the connection is secured, never a secret. */
export function describeTemporalConnection(config: Pick<Config, 'temporal'>): string {
  const { tls, apiKey } = config.temporal;
  if (!tls) return 'plain gRPC';
  const parts = [
    tls.clientCert ? 'mTLS' : 'TLS',
    ...(apiKey ? ['API key'] : []),
    ...(tls.serverName ? [`server name ${tls.serverName}`] : []),
  ];
  return parts.join(', ');
}
