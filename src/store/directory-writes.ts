import type { Kysely } from 'kysely';
import {
  projectKey,
  type Company,
  type DirectoryEntity,
  type Party,
  type Project,
} from '../domain/directory/types.ts';
import type { Database } from './tables.ts';

// Bound parameters per statement stay far below SQLite's 32,766 and PostgreSQL's 65,535.
const chunkSize = 500;

/** `items` in slices small enough for one statement. */
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) out.push(items.slice(i, i + chunkSize));
  return out;
}

/**
 * Writes entities inside a transaction the caller holds: apply uses it to create a user for a
 * trusted domain (issue 5) in the message's own transaction; writeEntities wraps it in one.
 */
export async function writeDirectoryEntities(
  db: Kysely<Database>,
  entities: readonly DirectoryEntity[],
  now: number,
): Promise<void> {
  const parties: Party[] = [];
  const companies: Company[] = [];
  const projects: Project[] = [];
  for (const e of entities) {
    if (e.kind === 'company') companies.push(e.company);
    else if (e.kind === 'project') projects.push(e.project);
    else parties.push(e.party);
  }
  await writeParties(db, parties, now);
  await writeCompanies(db, companies, now);
  await writeProjects(db, projects, now);
}

// Each write replaces the entity whole: its row is upserted and its list (addresses, domains,
// members) deleted and inserted again. An address or domain that moves to another owner is
// taken over by the upsert, so the order of entities within and across batches does not matter.

async function writeParties(db: Kysely<Database>, parties: readonly Party[], now: number): Promise<void> {
  for (const part of chunks(parties)) {
    await db
      .insertInto('directory_parties')
      .values(
        part.map((p) => ({
          id: p.id,
          kind: p.kind,
          name: p.name,
          company_id: p.companyId,
          locked_out: p.lockedOut ? 1 : 0,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          name: eb.ref('excluded.name'),
          company_id: eb.ref('excluded.company_id'),
          locked_out: eb.ref('excluded.locked_out'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    await db
      .deleteFrom('directory_addresses')
      .where(
        'party_id',
        'in',
        part.map((p) => p.id),
      )
      .execute();
  }
  const addresses = parties.flatMap((p) =>
    p.addresses.map((address, ordinal) => {
      const at = address.lastIndexOf('@');
      return {
        address,
        party_id: p.id,
        ordinal,
        local_lower: address.slice(0, at).toLowerCase(),
        domain: address.slice(at + 1),
      };
    }),
  );
  for (const part of chunks(addresses))
    await db
      .insertInto('directory_addresses')
      .values(part)
      .onConflict((oc) =>
        oc.column('address').doUpdateSet((eb) => ({
          party_id: eb.ref('excluded.party_id'),
          ordinal: eb.ref('excluded.ordinal'),
        })),
      )
      .execute();
}

async function writeCompanies(
  db: Kysely<Database>,
  companies: readonly Company[],
  now: number,
): Promise<void> {
  for (const part of chunks(companies)) {
    await db
      .insertInto('directory_companies')
      .values(
        part.map((c) => ({ id: c.id, name: c.name, primary_contact: c.primaryContactId, updated_at: now })),
      )
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          primary_contact: eb.ref('excluded.primary_contact'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    await db
      .deleteFrom('directory_company_domains')
      .where(
        'company_id',
        'in',
        part.map((c) => c.id),
      )
      .execute();
  }
  const domains = companies.flatMap((c) =>
    c.domains.map((domain, ordinal) => ({ domain, company_id: c.id, ordinal })),
  );
  for (const part of chunks(domains))
    await db
      .insertInto('directory_company_domains')
      .values(part)
      .onConflict((oc) =>
        oc.column('domain').doUpdateSet((eb) => ({
          company_id: eb.ref('excluded.company_id'),
          ordinal: eb.ref('excluded.ordinal'),
        })),
      )
      .execute();
}

async function writeProjects(db: Kysely<Database>, projects: readonly Project[], now: number): Promise<void> {
  for (const part of chunks(projects)) {
    await db
      .insertInto('directory_projects')
      .values(
        part.map((p) => ({
          id: p.id,
          project_key: projectKey(p.id),
          name: p.name,
          active: p.active ? 1 : 0,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          project_key: eb.ref('excluded.project_key'),
          name: eb.ref('excluded.name'),
          active: eb.ref('excluded.active'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    await db
      .deleteFrom('directory_project_members')
      .where(
        'project_id',
        'in',
        part.map((p) => p.id),
      )
      .execute();
  }
  const members = projects.flatMap((p) =>
    p.team.map((m, ordinal) => ({
      project_id: p.id,
      party_id: m.partyId,
      active: m.active ? 1 : 0,
      ordinal,
    })),
  );
  for (const part of chunks(members)) await db.insertInto('directory_project_members').values(part).execute();
}
