import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 that puts faults between a client and a local server (e.g. the
 * fake Resend of fake-resend.ts): per request it forwards (maybe late), answers an error
 * itself, hangs without forwarding, or forwards and then loses the answer (the server acted,
 * the client never hears of it). `decide` picks the fault from the request.
 */
export type ProxyFault =
  | { kind: 'forward'; delayMs?: number }
  /** Answered by the proxy, never forwarded. */
  | { kind: 'answer'; status: number; body: unknown; headers?: Record<string, string> }
  /** Never forwarded, never answered: the connection is dropped after `ms`. */
  | { kind: 'hang'; ms: number }
  /** Forwarded (the server acts on it), but its answer is held back and the connection dropped after `ms`. */
  | { kind: 'lose-answer'; ms: number };

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FaultyProxy {
  url: string;
  /** Requests received and not answered (or dropped) yet. */
  inFlight(): number;
  /** How many requests got each kind of fault (`answer` as `answer <status>`). */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export async function startFaultyProxy(
  upstream: string,
  decide: (request: ProxiedRequest) => ProxyFault = () => ({ kind: 'forward' }),
): Promise<FaultyProxy> {
  let inFlight = 0;
  const counts: Record<string, number> = {};
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const forward = async (request: ProxiedRequest) => {
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
    ) as Record<string, string>;
    const res = await fetch(new URL(request.path, upstream), {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? 'application/json', body: await res.text() };
  };

  const server = http.createServer((req, res) => {
    inFlight++;
    let done = false;
    const finish = () => {
      if (!done) inFlight--;
      done = true;
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const fault = decide(request);
      const name = fault.kind === 'answer' ? `answer ${fault.status}` : fault.kind;
      counts[name] = (counts[name] ?? 0) + 1;
      const drop = () => {
        req.socket.destroy();
        finish();
      };
      switch (fault.kind) {
        case 'answer':
          res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
          res.end(JSON.stringify(fault.body));
          return;
        case 'hang':
          later(fault.ms, drop);
          return;
        case 'lose-answer':
          forward(request).then(
            () => later(fault.ms, drop),
            () => later(fault.ms, drop),
          );
          return;
        case 'forward':
          later(fault.delayMs ?? 0, () => {
            forward(request).then(
              (answer) => {
                res.writeHead(answer.status, { 'content-type': answer.contentType });
                res.end(answer.body);
              },
              () => drop(),
            );
          });
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inFlight: () => inFlight,
    counts: () => ({ ...counts }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
