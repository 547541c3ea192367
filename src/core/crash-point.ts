/**
 * Test-only: kills this process at once (SIGKILL: no finally, no drain, no flush) when
 * POSTROOM_CRASH_AT names this point. Fault tests need a crash at an exact step, such as
 * between an SMTP send and the row's mark, which a kill from outside cannot hit reliably.
 * The variable is read here rather than through config because it is no setting: a
 * production config must not be able to turn it on.
 */
export function crashPoint(name: string): void {
  if (process.env['POSTROOM_CRASH_AT'] === name) process.kill(process.pid, 'SIGKILL');
}
