import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Whether a process runs (a zombie waiting to be reaped does not count). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // A killed process stays a zombie until its (new) parent reaps it: that is not alive.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** Children still running when this process exits, with the signal each is stopped with. */
const diesWithUs = new Map<ChildProcess, NodeJS.Signals>();
process.on('exit', () => {
  for (const [child, signal] of diesWithUs) child.kill(signal);
});

/**
 * The child goes when this process exits, however it exits (a run or a test cut short before its
 * cleanup, `process.exit()` in a signal handler): the last resort behind each caller's own stop.
 * 'exit' allows only synchronous work, so this sends the signal and does not wait.
 */
export function stopWithThisProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  diesWithUs.set(child, signal);
  child.once('exit', () => diesWithUs.delete(child));
}
