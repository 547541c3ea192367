import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A lease owner id: host/pid/random, so a restart on the same host can tell a dead holder. */
export function newOwnerId(pid: number = process.pid): string {
  return `${hostname()}/${pid}/${randomBytes(4).toString('hex')}`;
}

/** True when `owner` names a process on this host that no longer runs. */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pidText] = owner.split('/');
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
