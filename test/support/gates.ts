/**
 * Points where an activity stand-in (TestSystemOptions.activities) stops until the test lets
 * it go on: the test waits until the activity has `arrived`, does what must happen meanwhile,
 * then `release`s it. A released gate lets every later pass (a retry) through at once.
 */
interface Latch {
  promise: Promise<void>;
  resolve(): void;
}

function latch(): Latch {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class Gates {
  private readonly gates = new Map<string, { arrived: Latch; released: Latch }>();

  private gate(key: string) {
    let gate = this.gates.get(key);
    if (!gate) {
      gate = { arrived: latch(), released: latch() };
      this.gates.set(key, gate);
    }
    return gate;
  }

  /** In the activity: tells the test it is here and waits for the release. */
  async pass(key: string): Promise<void> {
    const gate = this.gate(key);
    gate.arrived.resolve();
    await gate.released.promise;
  }

  /** In the test: resolves once an activity is waiting at this gate (fails after `timeoutMs`). */
  async arrived(key: string, timeoutMs = 15_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`nothing arrived at gate ${key} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.gate(key).arrived.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  release(key: string): void {
    this.gate(key).released.resolve();
  }

  /** Lets everything through (after a test, so no activity is left waiting). */
  releaseAll(): void {
    for (const gate of this.gates.values()) gate.released.resolve();
  }
}
