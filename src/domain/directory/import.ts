import type { DirectorySnapshot, DirectoryWriter } from '../../store/directory.ts';
import type { ImportRow, ParsedRows, RowRejection } from './import-rows.ts';
import {
  entityId,
  projectKey,
  type Company,
  type DirectoryEntity,
  type Party,
  type Project,
} from './types.ts';

/** One entity the import creates or changes, and which of its fields differ. */
export interface ImportChange {
  readonly row: number;
  readonly location: string;
  readonly kind: DirectoryEntity['kind'];
  readonly id: string;
  readonly action: 'create' | 'update';
  readonly fields: readonly string[];
}

/** What an import did (or, in a dry run, would do). Field names are a contract for scripts. */
export interface ImportReport {
  readonly dryRun: boolean;
  /** data rows read, valid or not */
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  /** rows refused; `rejected` may hold several entries (fields) per row */
  readonly rejectedRows: number;
  readonly changes: readonly ImportChange[];
  readonly rejected: readonly RowRejection[];
}

type Group = 'party' | 'company' | 'project';
const groupOf = (e: DirectoryEntity): Group =>
  e.kind === 'company' || e.kind === 'project' ? e.kind : 'party';
const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** The fields of `next` that differ from what is stored; an empty list means unchanged. */
function changedFields(next: DirectoryEntity, snap: DirectorySnapshot): string[] | 'new' {
  const id = entityId(next);
  if (next.kind === 'company') {
    const old = snap.companies.get(id);
    if (!old) return 'new';
    return companyDiff(old, next.company);
  }
  if (next.kind === 'project') {
    const old = snap.projects.get(id);
    if (!old) return 'new';
    return projectDiff(old, next.project);
  }
  const old = snap.parties.get(id);
  if (!old) return 'new';
  return partyDiff(old, next.party);
}

function partyDiff(a: Party, b: Party): string[] {
  const fields: string[] = [];
  if (a.kind !== b.kind) fields.push('kind');
  if (a.name !== b.name) fields.push('name');
  if (!sameList(a.addresses, b.addresses)) fields.push('addresses');
  if (a.companyId !== b.companyId) fields.push('company');
  if (a.lockedOut !== b.lockedOut) fields.push('lockedOut');
  return fields;
}

function companyDiff(a: Company, b: Company): string[] {
  const fields: string[] = [];
  if (a.name !== b.name) fields.push('name');
  if (!sameList(a.domains, b.domains)) fields.push('domains');
  if (a.primaryContactId !== b.primaryContactId) fields.push('primaryContact');
  return fields;
}

function projectDiff(a: Project, b: Project): string[] {
  const fields: string[] = [];
  if (a.name !== b.name) fields.push('name');
  if (a.active !== b.active) fields.push('active');
  const members = (p: Project, active: boolean): string[] =>
    p.team.filter((m) => m.active === active).map((m) => m.partyId);
  if (!sameList(members(a, true), members(b, true))) fields.push('team');
  if (!sameList(members(a, false), members(b, false))) fields.push('inactiveTeam');
  return fields;
}

/** What the file names that the store must be asked about. */
function snapshotQuery(rows: readonly ImportRow[]) {
  const ids: string[] = [];
  const addresses: string[] = [];
  const domains: string[] = [];
  const projectKeys: string[] = [];
  for (const { entity: e } of rows) {
    ids.push(entityId(e));
    if (e.kind === 'company') {
      domains.push(...e.company.domains);
      if (e.company.primaryContactId !== null) ids.push(e.company.primaryContactId);
    } else if (e.kind === 'project') {
      projectKeys.push(projectKey(e.project.id));
      ids.push(...e.project.team.map((m) => m.partyId));
    } else {
      addresses.push(...e.party.addresses);
      if (e.party.companyId !== null) ids.push(e.party.companyId);
    }
  }
  return { ids, addresses, domains, projectKeys };
}

/** The accepted rows and the refusals, after checks that need the whole file and the store. */
export function checkRows(
  rows: readonly ImportRow[],
  snap: DirectorySnapshot,
): { accepted: ImportRow[]; rejected: RowRejection[] } {
  const rejected: RowRejection[] = [];
  const accepted = new Map<string, ImportRow>();
  const reject = (r: ImportRow, field: string, reason: string): void => {
    rejected.push({
      row: r.row,
      location: r.location,
      kind: r.entity.kind,
      id: entityId(r.entity),
      field,
      reason,
    });
    if (accepted.get(entityId(r.entity)) === r) accepted.delete(entityId(r.entity));
  };
  const storedGroup = (id: string): Group | undefined =>
    snap.parties.has(id)
      ? 'party'
      : snap.companies.has(id)
        ? 'company'
        : snap.projects.has(id)
          ? 'project'
          : undefined;
  const describe = (r: ImportRow): string => `the ${r.entity.kind} on ${r.location}`;

  // 1. IDs are unique across all kinds, in the file and against the store; the first row wins.
  // 2. An address, a domain, a project key belongs to one entity in the file; the first row wins.
  const claims = new Map<string, ImportRow>();
  const claim = (r: ImportRow, key: string, field: string, what: string): boolean => {
    const first = claims.get(key);
    if (first && first !== r) {
      reject(r, field, `${what} is also on ${first.location}`);
      return false;
    }
    claims.set(key, r);
    return true;
  };
  for (const r of rows) {
    const id = entityId(r.entity);
    const first = claims.get(`id:${id}`);
    if (first) {
      reject(r, 'id', `${id} is already used by ${describe(first)}`);
      continue;
    }
    claims.set(`id:${id}`, r);
    const stored = storedGroup(id);
    if (stored !== undefined && stored !== groupOf(r.entity)) {
      reject(
        r,
        'id',
        `${id} is already a ${stored} in the directory; IDs are unique across users, contacts, companies and projects`,
      );
      continue;
    }
    const e = r.entity;
    const ok =
      e.kind === 'company'
        ? e.company.domains.every((d) => claim(r, `domain:${d}`, 'domains', d))
        : e.kind === 'project'
          ? claim(
              r,
              `project:${projectKey(e.project.id)}`,
              'id',
              `project ID ${e.project.id} (dashes and case aside)`,
            )
          : e.party.addresses.every((a) => claim(r, `address:${a}`, 'addresses', a));
    if (ok) accepted.set(id, r);
  }

  // 3. Against the store and each other: ownership and references. A refusal can break a row
  //    that relied on the refused one, so repeat until nothing changes.
  // A row refused leaves its stored entity as it was, so a reference to it still holds.
  const isParty = (id: string): boolean => {
    const r = accepted.get(id);
    return r ? groupOf(r.entity) === 'party' : snap.parties.has(id);
  };
  const isCompany = (id: string): boolean => {
    const r = accepted.get(id);
    return r ? r.entity.kind === 'company' : snap.companies.has(id);
  };
  /** Whether `owner` (stored owner of `key`) lets go of it in this file. */
  const released = (owner: string, keep: (e: DirectoryEntity) => boolean): boolean => {
    const r = accepted.get(owner);
    return r !== undefined && !keep(r.entity);
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const r of [...accepted.values()]) {
      const problem = referenceProblem(r.entity, snap, { isParty, isCompany, released });
      if (problem) {
        reject(r, problem.field, problem.reason);
        changed = true;
      }
    }
  }
  return { accepted: rows.filter((r) => accepted.get(entityId(r.entity)) === r), rejected };
}

function referenceProblem(
  e: DirectoryEntity,
  snap: DirectorySnapshot,
  has: {
    isParty: (id: string) => boolean;
    isCompany: (id: string) => boolean;
    released: (owner: string, keep: (e: DirectoryEntity) => boolean) => boolean;
  },
): { field: string; reason: string } | undefined {
  const id = entityId(e);
  if (e.kind === 'company') {
    for (const d of e.company.domains) {
      const owner = snap.domainOwners.get(d);
      if (
        owner !== undefined &&
        owner !== id &&
        !has.released(owner, (o) => o.kind === 'company' && o.company.domains.includes(d))
      )
        return { field: 'domains', reason: `${d} belongs to company ${owner}` };
    }
    const primary = e.company.primaryContactId;
    if (primary !== null && !has.isParty(primary))
      return {
        field: 'primaryContact',
        reason: `no user or contact ${primary} in the file or the directory`,
      };
    return undefined;
  }
  if (e.kind === 'project') {
    const owner = snap.projectKeyOwners.get(projectKey(id));
    if (owner !== undefined && owner !== id)
      return { field: 'id', reason: `${id} is the same project ID as ${owner} (dashes and case aside)` };
    for (const m of e.project.team)
      if (!has.isParty(m.partyId))
        return {
          field: m.active ? 'team' : 'inactiveTeam',
          reason: `no user or contact ${m.partyId} in the file or the directory`,
        };
    return undefined;
  }
  for (const a of e.party.addresses) {
    const owner = snap.addressOwners.get(a);
    if (
      owner !== undefined &&
      owner !== id &&
      !has.released(owner, (o) => 'party' in o && o.party.addresses.includes(a))
    )
      return {
        field: 'addresses',
        reason: `${a} belongs to ${snap.parties.get(owner)?.kind ?? 'party'} ${owner}`,
      };
  }
  const company = e.party.companyId;
  if (company !== null && !has.isCompany(company))
    return { field: 'company', reason: `no company ${company} in the file or the directory` };
  return undefined;
}

/**
 * Upserts the parsed rows: each valid row replaces its entity whole; rows that would break the
 * directory (a duplicate ID, an address owned by someone else, a reference to nothing) are
 * refused with the reason, the others applied in transactions of `batchSize` entities. Importing
 * the same file again changes nothing. With `dryRun` the report says what would change and
 * nothing is written.
 */
export async function importDirectory(
  directory: DirectoryWriter,
  parsed: ParsedRows,
  options: { dryRun: boolean; now: number; batchSize?: number },
): Promise<ImportReport> {
  const snap = await directory.snapshot(snapshotQuery(parsed.rows));
  const { accepted, rejected } = checkRows(parsed.rows, snap);
  const changes: ImportChange[] = [];
  const toWrite: DirectoryEntity[] = [];
  let unchanged = 0;
  for (const r of accepted) {
    const diff = changedFields(r.entity, snap);
    if (diff !== 'new' && diff.length === 0) {
      unchanged += 1;
      continue;
    }
    changes.push({
      row: r.row,
      location: r.location,
      kind: r.entity.kind,
      id: entityId(r.entity),
      action: diff === 'new' ? 'create' : 'update',
      fields: diff === 'new' ? [] : diff,
    });
    toWrite.push(r.entity);
  }
  if (!options.dryRun) {
    // Each commit is an fsync: 5,000 entities a transaction imported 100,000 contacts about 1.5x
    // faster than 1,000 on SQLite, and still holds the write lock well under a second.
    const size = options.batchSize ?? 5000;
    for (let i = 0; i < toWrite.length; i += size)
      await directory.writeEntities(toWrite.slice(i, i + size), options.now);
  }
  const allRejected = [...parsed.rejected, ...rejected].sort(
    (a, b) => a.row - b.row || a.location.localeCompare(b.location),
  );
  const rejectedRows = new Set(allRejected.map((r) => r.location)).size;
  return {
    dryRun: options.dryRun,
    rows: parsed.rows.length + new Set(parsed.rejected.map((r) => r.location)).size,
    created: changes.filter((c) => c.action === 'create').length,
    updated: changes.filter((c) => c.action === 'update').length,
    unchanged,
    rejectedRows,
    changes,
    rejected: allRejected,
  };
}
