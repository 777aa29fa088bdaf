/**
 * Calls `send(i, scheduledAt)` for i = 0..total-1 at a fixed pace (an open loop: it does not
 * wait for answers). Timer-driven: each wake-up sends every request whose time has come, then
 * sleeps until the next one, so the event loop reads responses in between. Resolves with the
 * schedule's start once every send has settled.
 */
export async function sendAtFixedRate(
  total: number,
  intervalMs: number,
  send: (index: number, scheduledAt: number) => Promise<void>,
): Promise<number> {
  const pending: Array<Promise<void>> = [];
  const t0 = performance.now() + 20;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    for (; next < total && t0 + next * intervalMs <= now; next++) pending.push(send(next, t0 + next * intervalMs));
    if (next < total) await new Promise((r) => setTimeout(r, Math.max(0, t0 + next * intervalMs - performance.now())));
  }
  await Promise.all(pending);
  return t0;
}
