import { escapeRegExp, wholeWords } from './subject-words.ts';

/** A project ID found in a subject, with where it stands (so later scans can step over it). */
export interface ProjectIdMatch {
  readonly projectId: string;
  /** the text as written in the subject, e.g. `GC003` for `GC-003` */
  readonly text: string;
  readonly index: number;
}

/**
 * The pattern for one project ID: every dash in the ID is optional in the subject (seed 004:
 * "The Project ID may have dashes or not", `GC003` and `GC-003` both find `GC-003`). Dashes the
 * ID does not have are not accepted (`GC0-03` is not `GC-003`): the seed only drops dashes.
 */
function projectIdPattern(projectId: string): RegExp {
  const body = projectId
    .split('-')
    .filter((part) => part !== '')
    .map(escapeRegExp)
    .join('-?');
  return wholeWords(body);
}

/**
 * Scans `subject` left to right for one of the known `projectIds` (seed 004) and returns the
 * leftmost one; when two IDs start at the same place the longer written match wins (`GC-003-A`
 * over `GC-003`). Case-insensitive: people type `gc003`. Returns null when none is present;
 * the fallback to the sender's single active project team is the caller's (see resolveProject).
 */
export function findProjectId(subject: string, projectIds: readonly string[]): ProjectIdMatch | null {
  let best: ProjectIdMatch | null = null;
  for (const projectId of projectIds) {
    if (projectId.replaceAll('-', '') === '') continue;
    const pattern = projectIdPattern(projectId);
    const found = pattern.exec(subject);
    if (found === null) continue;
    const candidate = { projectId, text: found[0], index: found.index };
    if (
      best === null ||
      candidate.index < best.index ||
      (candidate.index === best.index && candidate.text.length > best.text.length)
    ) {
      best = candidate;
    }
  }
  return best;
}

/** Where the document's project came from; `team` means the subject named none. */
export type ProjectSource = 'subject' | 'team';

/** The resolved project, or why there is none. */
export type ProjectResolution =
  | { readonly projectId: string; readonly source: 'subject'; readonly match: ProjectIdMatch }
  | { readonly projectId: string; readonly source: 'team' }
  | { readonly projectId: null; readonly reason: string };

/**
 * Seed 004: the project ID in the subject; failing that, "if the sender of the email is
 * associated with exactly one active project team" that project; with several or none, no
 * project. `senderActiveProjects` lists the active projects whose team the sender belongs to.
 */
export function resolveProject(
  subject: string,
  projectIds: readonly string[],
  senderActiveProjects: readonly string[],
): ProjectResolution {
  const match = findProjectId(subject, projectIds);
  if (match !== null) return { projectId: match.projectId, source: 'subject', match };
  const teams = [...new Set(senderActiveProjects)];
  const [only] = teams;
  if (teams.length === 1 && only !== undefined) return { projectId: only, source: 'team' };
  return {
    projectId: null,
    reason:
      teams.length === 0
        ? 'no project ID in the subject and the sender is on no active project team'
        : `no project ID in the subject and the sender is on ${teams.length} active project teams (${teams.join(', ')})`,
  };
}
