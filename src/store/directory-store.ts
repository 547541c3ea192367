import type { Kysely } from 'kysely';
import {
  candidateLocals,
  domainOf,
  matchAddress,
  parseAddress,
  type AddressMatch,
} from '../domain/directory/address.ts';
import {
  defaultAddressSettings,
  projectKey,
  type AddressSettings,
  type Company,
  type DirectoryEntity,
  type Party,
  type PartyKind,
  type Project,
} from '../domain/directory/types.ts';
import type { Directory, DirectorySnapshot, PartyMatch } from './directory.ts';
import { chunks, writeDirectoryEntities } from './directory-writes.ts';
import { immediateTransaction } from './immediate-transaction.ts';
import { storeCall } from './store-call.ts';
import type { Database } from './tables.ts';


/** Code-unit order, the same on both backends (PostgreSQL's collation would differ from SQLite's). */
function byId<T extends { id: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const matchRank: Record<AddressMatch, number> = { exact: 0, case: 1, subaddress: 2 };

/** The directory's tables on either backend: lookups for decide, bulk reads and writes for import. */
export class DirectoryStore implements Directory {
  private readonly db: Kysely<Database>;
  private readonly dialect: 'sqlite' | 'postgres';

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.db = db;
    this.dialect = dialect;
  }

  // ---- loading whole entities ----

  private async loadParties(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, Party>> {
    const found = new Map<string, Party>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await db.selectFrom('directory_parties').selectAll().where('id', 'in', part).execute();
      if (rows.length === 0) continue;
      const addresses = await db
        .selectFrom('directory_addresses')
        .select(['party_id', 'address'])
        .where(
          'party_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('party_id')
        .orderBy('ordinal')
        .execute();
      const byParty = new Map<string, string[]>();
      for (const a of addresses) byParty.set(a.party_id, [...(byParty.get(a.party_id) ?? []), a.address]);
      for (const r of rows)
        found.set(r.id, {
          id: r.id,
          kind: r.kind as PartyKind,
          name: r.name,
          addresses: byParty.get(r.id) ?? [],
          companyId: r.company_id,
          lockedOut: Number(r.locked_out) === 1,
        });
    }
    return found;
  }

  private async loadCompanies(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, Company>> {
    const found = new Map<string, Company>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await db.selectFrom('directory_companies').selectAll().where('id', 'in', part).execute();
      if (rows.length === 0) continue;
      const domains = await db
        .selectFrom('directory_company_domains')
        .select(['company_id', 'domain'])
        .where(
          'company_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('company_id')
        .orderBy('ordinal')
        .execute();
      const byCompany = new Map<string, string[]>();
      for (const d of domains)
        byCompany.set(d.company_id, [...(byCompany.get(d.company_id) ?? []), d.domain]);
      for (const r of rows)
        found.set(r.id, {
          id: r.id,
          name: r.name,
          domains: byCompany.get(r.id) ?? [],
          primaryContactId: r.primary_contact,
        });
    }
    return found;
  }

  private async loadProjects(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, Project>> {
    const found = new Map<string, Project>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = await db.selectFrom('directory_projects').selectAll().where('id', 'in', part).execute();
      if (rows.length === 0) continue;
      const members = await db
        .selectFrom('directory_project_members')
        .select(['project_id', 'party_id', 'active'])
        .where(
          'project_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('project_id')
        .orderBy('ordinal')
        .execute();
      const byProject = new Map<string, { partyId: string; active: boolean }[]>();
      for (const m of members)
        byProject.set(m.project_id, [
          ...(byProject.get(m.project_id) ?? []),
          { partyId: m.party_id, active: Number(m.active) === 1 },
        ]);
      for (const r of rows)
        found.set(r.id, {
          id: r.id,
          name: r.name,
          active: Number(r.active) === 1,
          team: byProject.get(r.id) ?? [],
        });
    }
    return found;
  }

  // ---- DirectoryReader ----

  async findPartyByAddress(
    address: string,
    settings: AddressSettings = defaultAddressSettings,
  ): Promise<PartyMatch | undefined> {
    const incoming = parseAddress(address);
    if (!incoming) return undefined;
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('directory_addresses')
        .select(['address', 'party_id'])
        .where('domain', '=', incoming.domain)
        .where('local_lower', 'in', candidateLocals(incoming, settings))
        .execute();
      let best: { address: string; partyId: string; via: AddressMatch } | undefined;
      for (const row of rows) {
        const stored = parseAddress(row.address);
        const via = stored && matchAddress(stored, incoming, settings);
        if (!via) continue;
        // Best match first; between equals the lowest party ID, so the answer never depends on row order.
        if (
          !best ||
          matchRank[via] < matchRank[best.via] ||
          (matchRank[via] === matchRank[best.via] && row.party_id < best.partyId)
        )
          best = { address: row.address, partyId: row.party_id, via };
      }
      if (!best) return undefined;
      const party = (await this.loadParties(this.db, [best.partyId])).get(best.partyId);
      if (!party) return undefined;
      const company =
        party.companyId === null
          ? null
          : ((await this.loadCompanies(this.db, [party.companyId])).get(party.companyId) ?? null);
      return { party, company, lockedOut: party.lockedOut, address: best.address, via: best.via };
    });
  }

  async contactsOfDomain(domain: string): Promise<Party[]> {
    const d = domainOf(domain);
    if (d === undefined) return [];
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('directory_addresses')
        .select('party_id')
        .distinct()
        .where('domain', '=', d)
        .execute();
      return byId(
        (
          await this.loadParties(
            this.db,
            rows.map((r) => r.party_id),
          )
        ).values(),
      );
    });
  }

  async primaryContactsOfDomain(domain: string): Promise<Party[]> {
    const d = domainOf(domain);
    if (d === undefined) return [];
    return storeCall(async () => {
      const ofOwner = await this.db
        .selectFrom('directory_companies as c')
        .innerJoin('directory_company_domains as cd', 'cd.company_id', 'c.id')
        .select('c.primary_contact')
        .where('cd.domain', '=', d)
        .execute();
      const usingDomain = await this.db
        .selectFrom('directory_companies as c')
        .innerJoin('directory_addresses as a', 'a.party_id', 'c.primary_contact')
        .select('c.primary_contact')
        .where('a.domain', '=', d)
        .execute();
      const ids = [...ofOwner, ...usingDomain].flatMap((r) =>
        r.primary_contact === null ? [] : [r.primary_contact],
      );
      return byId((await this.loadParties(this.db, ids)).values());
    });
  }

  async primaryContactOfDomain(domain: string): Promise<Party | undefined> {
    const all = await this.primaryContactsOfDomain(domain);
    return all.length === 1 ? all[0] : undefined;
  }

  async companyOfDomain(domain: string): Promise<Company | undefined> {
    const d = domainOf(domain);
    if (d === undefined) return undefined;
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('directory_company_domains')
        .select('company_id')
        .where('domain', '=', d)
        .executeTakeFirst();
      return row && (await this.loadCompanies(this.db, [row.company_id])).get(row.company_id);
    });
  }

  async activeProjectsOf(partyId: string): Promise<Project[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('directory_projects as p')
        .innerJoin('directory_project_members as m', 'm.project_id', 'p.id')
        .select('p.id')
        .where('m.party_id', '=', partyId)
        .where('m.active', '=', 1)
        .where('p.active', '=', 1)
        .execute();
      return byId(
        (
          await this.loadProjects(
            this.db,
            rows.map((r) => r.id),
          )
        ).values(),
      );
    });
  }

  async findProject(id: string): Promise<Project | undefined> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('directory_projects')
        .select('id')
        .where('project_key', '=', projectKey(id.trim()))
        .executeTakeFirst();
      return row && (await this.loadProjects(this.db, [row.id])).get(row.id);
    });
  }

  async projectIds(): Promise<string[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('directory_projects')
        .select('id')
        .where('active', '=', 1)
        .execute();
      return byId(rows).map((r) => r.id);
    });
  }

  async getParty(id: string): Promise<Party | undefined> {
    return storeCall(async () => (await this.loadParties(this.db, [id])).get(id));
  }

  async getCompany(id: string): Promise<Company | undefined> {
    return storeCall(async () => (await this.loadCompanies(this.db, [id])).get(id));
  }

  async partiesOfCompany(companyId: string): Promise<Party[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('directory_parties')
        .select('id')
        .where('company_id', '=', companyId)
        .execute();
      return byId(
        (
          await this.loadParties(
            this.db,
            rows.map((r) => r.id),
          )
        ).values(),
      );
    });
  }

  async listParties(kind?: PartyKind): Promise<Party[]> {
    return storeCall(async () => {
      let query = this.db.selectFrom('directory_parties').select('id');
      if (kind) query = query.where('kind', '=', kind);
      const rows = await query.execute();
      return byId(
        (
          await this.loadParties(
            this.db,
            rows.map((r) => r.id),
          )
        ).values(),
      );
    });
  }

  async listCompanies(): Promise<Company[]> {
    return storeCall(async () => {
      const rows = await this.db.selectFrom('directory_companies').select('id').execute();
      return byId(
        (
          await this.loadCompanies(
            this.db,
            rows.map((r) => r.id),
          )
        ).values(),
      );
    });
  }

  async listProjects(): Promise<Project[]> {
    return storeCall(async () => {
      const rows = await this.db.selectFrom('directory_projects').select('id').execute();
      return byId(
        (
          await this.loadProjects(
            this.db,
            rows.map((r) => r.id),
          )
        ).values(),
      );
    });
  }

  // ---- DirectoryWriter ----

  async snapshot(q: {
    ids: readonly string[];
    addresses: readonly string[];
    domains: readonly string[];
    projectKeys: readonly string[];
  }): Promise<DirectorySnapshot> {
    return storeCall(async () => {
      const addressOwners = new Map<string, string>();
      for (const part of chunks([...new Set(q.addresses)]))
        for (const r of await this.db
          .selectFrom('directory_addresses')
          .select(['address', 'party_id'])
          .where('address', 'in', part)
          .execute())
          addressOwners.set(r.address, r.party_id);
      const domainOwners = new Map<string, string>();
      for (const part of chunks([...new Set(q.domains)]))
        for (const r of await this.db
          .selectFrom('directory_company_domains')
          .select(['domain', 'company_id'])
          .where('domain', 'in', part)
          .execute())
          domainOwners.set(r.domain, r.company_id);
      const projectKeyOwners = new Map<string, string>();
      for (const part of chunks([...new Set(q.projectKeys)]))
        for (const r of await this.db
          .selectFrom('directory_projects')
          .select(['project_key', 'id'])
          .where('project_key', 'in', part)
          .execute())
          projectKeyOwners.set(r.project_key, r.id);
      return {
        // Owners of the addresses and domains too, so a refusal can say who holds them.
        parties: await this.loadParties(this.db, [...q.ids, ...addressOwners.values()]),
        companies: await this.loadCompanies(this.db, [...q.ids, ...domainOwners.values()]),
        projects: await this.loadProjects(this.db, q.ids),
        addressOwners,
        domainOwners,
        projectKeyOwners,
      };
    });
  }

  async writeEntities(entities: readonly DirectoryEntity[], now: number): Promise<void> {
    if (entities.length === 0) return;
    await storeCall(() => this.inTransaction((trx) => writeDirectoryEntities(trx, entities, now)));
  }

  /** SQLite: BEGIN IMMEDIATE, so a concurrent writer waits instead of failing (see immediate-transaction.ts). */
  private async inTransaction<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.db.transaction().execute(work);
    return immediateTransaction(this.db, work);
  }
}
