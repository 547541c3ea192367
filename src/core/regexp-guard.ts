import v8 from 'node:v8';

let guarded = false;

/**
 * Admins write regular expressions into rules, and mail is hostile: `(a+)+$` against a long run
 * of "a" would hold a worker for minutes in a backtracking engine. V8 can switch such a match to
 * its linear-time engine once it backtracks too much; this turns that on for the whole process
 * (worker threads share the flag). Normal patterns keep native speed. Pure-JS RE2 ports were
 * measured 60× slower on ordinary rules, which is why this is not done with a library.
 */
export function guardRegExps(): void {
  if (guarded) return;
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  guarded = true;
}
