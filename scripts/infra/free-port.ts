/**
 * Find a TCP port that is free right now on 127.0.0.1.
 *
 * The OS picks it (listen on port 0), we close the socket and hand the number back.
 * Another process may grab it before the caller binds it; callers that own the
 * server they start (dev Temporal, embedded Postgres) retry with a new port on a
 * bind failure.
 */
import net from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected server address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
