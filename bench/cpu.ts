/**
 * Where the machine's CPU went during a phase, from /proc (Linux; elsewhere it reports nothing):
 * this process (API or Temporal client), the load generator, the Temporal dev server, Postgres
 * (the postmaster serving the bench database and all its backends), and everything else on the
 * machine (other people's work disturbs a benchmark on 2 cores: it is shown, not hidden).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuGroups {
  /** The bench process itself: Fastify + knex + Temporal client (A), or the Temporal client (B). */
  bench: number[];
  generator: number[];
  temporal: number[];
  postgres: number[];
}

export interface CpuSample {
  at: number;
  /** CPU seconds per group. */
  groups: Record<keyof CpuGroups, number>;
  /** Busy CPU seconds of the whole machine (all cores). */
  machineBusy: number;
}

export interface CpuUsage {
  seconds: number;
  /** Cores used on average, per group, plus `other` (the rest of the machine). */
  cores: Record<keyof CpuGroups | 'other', number>;
  machineCores: number;
}

const available = existsSync('/proc/stat');

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3): utime is field 14, stime field 15.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [, ...values] = line.trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values;
  void idle;
  void iowait;
  return user + nice + system + irq + softirq + (steal ?? 0);
}

/** pid -> parent pid of every process, and each process's command name. */
function processTable(): { parent: Map<number, number>; comm: Map<number, string> } {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(pid, ppid);
      comm.set(pid, name);
    } catch {
      /* gone */
    }
  }
  return { parent, comm };
}

function descendantsOf(root: number, parent: Map<number, number>): number[] {
  const out = [root];
  for (const [pid] of parent) {
    let p = parent.get(pid);
    for (let depth = 0; p && depth < 50; depth++) {
      if (p === root) {
        out.push(pid);
        break;
      }
      p = parent.get(p);
    }
  }
  return out;
}

/** The postmaster of a data directory on this machine (from its postmaster.pid), if readable. */
export function findPostmaster(dataDirectory: string | null): number | null {
  if (!available || !dataDirectory) return null;
  try {
    const pid = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export class CpuMeter {
  constructor(private readonly pids: { generator: () => number | undefined; postmaster: number | null }) {}

  /** Re-read each time: Postgres backends come and go with the pool. */
  private groups(): CpuGroups {
    const { parent, comm } = processTable();
    const temporal = [...parent].filter(([pid, ppid]) => ppid === process.pid && comm.get(pid) === 'temporal').map(([pid]) => pid);
    const generator = this.pids.generator();
    return {
      bench: [process.pid],
      generator: generator ? [generator] : [],
      temporal: temporal.flatMap((pid) => descendantsOf(pid, parent)),
      postgres: this.pids.postmaster ? descendantsOf(this.pids.postmaster, parent) : [],
    };
  }

  sample(): CpuSample | null {
    if (!available) return null;
    const groups = this.groups();
    const seconds = (pids: number[]) => pids.reduce((sum, pid) => sum + processTicks(pid), 0) / TICKS_PER_SECOND;
    const own = process.cpuUsage();
    return {
      at: performance.now(),
      groups: {
        bench: (own.user + own.system) / 1e6,
        generator: seconds(groups.generator),
        temporal: seconds(groups.temporal),
        postgres: seconds(groups.postgres),
      },
      machineBusy: machineBusyTicks() / TICKS_PER_SECOND,
    };
  }

  /**
   * CPU between two samples. Backends that exited in between lose their ticks (their parent
   * collects them only as cumulative child time): the Postgres pool keeps its connections open
   * during a run, so this is small.
   */
  static usage(from: CpuSample | null, to: CpuSample | null): CpuUsage | null {
    if (!from || !to) return null;
    const seconds = (to.at - from.at) / 1000;
    const d = (k: keyof CpuGroups) => Math.max(0, to.groups[k] - from.groups[k]) / seconds;
    const cores = { bench: d('bench'), generator: d('generator'), temporal: d('temporal'), postgres: d('postgres'), other: 0 };
    const machine = (to.machineBusy - from.machineBusy) / seconds;
    cores.other = Math.max(0, machine - cores.bench - cores.generator - cores.temporal - cores.postgres);
    return { seconds, cores, machineCores: os.availableParallelism() };
  }
}
