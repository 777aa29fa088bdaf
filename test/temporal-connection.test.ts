/**
 * A production Temporal connection by configuration: TLS, mTLS and an API key (Temporal Cloud)
 * reach both the API's Connection and the worker's NativeConnection.
 *
 * A gRPC server with mTLS (grpc-js, certificates made by openssl for the test) stands in for
 * the cluster: it answers WorkflowService/GetSystemInfo, which both SDK connections call when
 * they connect, and records the caller's metadata. A client without the right certificate is
 * refused by the handshake; the API key arrives as `authorization: Bearer <key>`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startApiServer } from '../api/server.js';
import { ConfigError, loadConfig } from '../config/env.js';
import { createDb } from '../db/knex.js';
import { describeTemporalConnection, readPem, temporalConnectionOptions } from '../temporal-config/connection.js';
import { quietTemporalRuntime, testEnv } from './support/system.js';

const SERVER_NAME = 'temporal.bebsy.test';

/** A CA, a server certificate for SERVER_NAME and a client certificate, all signed by the CA. */
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=bebsy test CA',
  );
  for (const [name, subject] of [
    ['server', SERVER_NAME],
    ['client', 'bebsy-worker'],
  ]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${subject}`);
    writeFileSync(
      path.join(dir, `${name}.ext`),
      name === 'server' ? `subjectAltName=DNS:${SERVER_NAME}\n` : 'extendedKeyUsage=clientAuth\n',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
  return Object.fromEntries(['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key'].map((f) => [f, path.join(dir, f)]));
}

interface Call {
  method: string;
  authorization: string | undefined;
}

/** A WorkflowService that answers GetSystemInfo (an empty response) over mTLS and records who called. */
async function fakeTemporal(files: Record<string, string>) {
  const calls: Call[] = [];
  const identity = (value: Buffer) => value;
  const server = new grpc.Server();
  const answer =
    (method: string): grpc.handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      calls.push({ method, authorization: call.metadata.get('authorization')[0]?.toString() });
      callback(null, Buffer.alloc(0));
    };
  const method = (name: string) => ({
    path: `/temporal.api.workflowservice.v1.WorkflowService/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  });
  server.addService({ GetSystemInfo: method('GetSystemInfo') }, { GetSystemInfo: answer('GetSystemInfo') });
  const credentials = grpc.ServerCredentials.createSsl(
    readFileSync(files['ca.pem']),
    [{ private_key: readFileSync(files['server.key']), cert_chain: readFileSync(files['server.pem']) }],
    true, // mTLS: a client without a certificate signed by the CA is refused
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, calls, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

describe('Temporal connection settings', () => {
  it('plain gRPC unless TLS, a certificate, a CA, a server name or an API key is configured', () => {
    const plain = loadConfig({ NODE_ENV: 'test' });
    assert.equal(plain.temporal.tls, null);
    assert.equal(plain.temporal.apiKey, null);
    assert.deepEqual(temporalConnectionOptions(plain, 'localhost:7233'), { address: 'localhost:7233' });
    assert.equal(describeTemporalConnection(plain), 'plain gRPC');

    const cloud = loadConfig({ NODE_ENV: 'test', TEMPORAL_API_KEY: 'key-123' });
    assert.deepEqual(cloud.temporal.tls, { clientCert: null, clientKey: null, ca: null, serverName: null }, 'an API key implies TLS');
    assert.deepEqual(temporalConnectionOptions(cloud, 'bebsy.a1b2c.tmprl.cloud:7233'), {
      address: 'bebsy.a1b2c.tmprl.cloud:7233',
      tls: {},
      apiKey: 'key-123',
    });
    assert.equal(describeTemporalConnection(cloud), 'TLS, API key');
    assert.deepEqual(
      temporalConnectionOptions(loadConfig({ NODE_ENV: 'test', TEMPORAL_TLS: 'true' }), 'x:7233').tls,
      {},
      'TLS with the system CAs',
    );
  });

  it('refuses a certificate without its key, and TLS switched off under an API key', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'test', TEMPORAL_TLS_CERT: '/etc/temporal/client.pem' }),
      (error: ConfigError) => error.problems.some((p) => p.startsWith('TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY')),
    );
    assert.throws(
      () => loadConfig({ NODE_ENV: 'test', TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }),
      (error: ConfigError) => error.problems.some((p) => p.startsWith('TEMPORAL_TLS:')),
    );
  });

  it('takes a PEM itself or a path to it, and names the variable of a file it cannot read', () => {
    assert.equal(
      readPem('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n', 'TEMPORAL_TLS_CA').toString().slice(0, 10),
      '-----BEGIN',
    );
    assert.throws(
      () => readPem('/nonexistent/ca.pem', 'TEMPORAL_TLS_CA'),
      /TEMPORAL_TLS_CA: cannot read the PEM file \/nonexistent\/ca.pem \(ENOENT\)/,
    );
  });
});

describe('Temporal over mTLS with an API key: the API and the worker connect by configuration', () => {
  let dir: string;
  let files: Record<string, string>;
  let temporal: Awaited<ReturnType<typeof fakeTemporal>>;
  before(async () => {
    quietTemporalRuntime();
    dir = mkdtempSync(path.join(os.tmpdir(), 'bebsy-temporal-tls-'));
    files = makeCertificates(dir);
    temporal = await fakeTemporal(files);
  });
  after(async () => {
    await temporal?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    TEMPORAL_TLS_CA: files['ca.pem'],
    TEMPORAL_TLS_CERT: files['client.pem'],
    // the key given as the PEM itself (a Kubernetes secret in an environment variable)
    TEMPORAL_TLS_KEY: readFileSync(files['client.key'], 'utf8'),
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    TEMPORAL_API_KEY: 'bebsy-cloud-key',
    ...extra,
  });

  it('the API server (startApiServer) connects with the certificate and sends the API key', async () => {
    const config = loadConfig({ ...env(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    assert.equal(describeTemporalConnection(config), `mTLS, API key, server name ${SERVER_NAME}`);
    const db = createDb(testEnv.databaseUrl, { pool: { min: 0, max: 1, idleTimeoutMillis: 1000, connectionTimeoutMillis: 1500 } });
    const before = temporal.calls.length;
    const server = await startApiServer(config, db, temporal.address);
    try {
      const calls = temporal.calls.slice(before);
      assert.ok(calls.length > 0, 'the API reached the TLS server');
      assert.deepEqual(new Set(calls.map((c) => c.authorization)), new Set(['Bearer bebsy-cloud-key']));
    } finally {
      await server.close();
      await db.destroy();
    }
  });

  it("the worker's NativeConnection connects with the same options", async () => {
    const before = temporal.calls.length;
    const connection = await NativeConnection.connect(temporalConnectionOptions(loadConfig(env()), temporal.address));
    try {
      const calls = temporal.calls.slice(before);
      assert.ok(calls.some((c) => c.method === 'GetSystemInfo'));
      assert.ok(calls.every((c) => c.authorization === 'Bearer bebsy-cloud-key'));
    } finally {
      await connection.close();
    }
  });

  it('without the client certificate the handshake is refused, for both connections', async () => {
    const config = loadConfig({ ...env(), TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' });
    const options = temporalConnectionOptions(config, temporal.address);
    assert.equal(options.tls?.clientCertPair, undefined);
    await assert.rejects(Connection.connect({ ...options, connectTimeout: 3_000 }));
    await assert.rejects(NativeConnection.connect(options));
  });

  it('a wrong server name fails the certificate check', async () => {
    const options = temporalConnectionOptions(loadConfig(env({ TEMPORAL_TLS_SERVER_NAME: 'someone-else.example' })), temporal.address);
    await assert.rejects(Connection.connect({ ...options, connectTimeout: 3_000 }));
  });
});
