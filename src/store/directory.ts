import type { AddressMatch } from '../domain/directory/address.ts';
import type {
  AddressSettings,
  Company,
  DirectoryEntity,
  Party,
  PartyKind,
  Project,
} from '../domain/directory/types.ts';

/** A sender found in the directory: who, of which company, and whether they may write (seed 001). */
export interface PartyMatch {
  readonly party: Party;
  readonly company: Company | null;
  readonly lockedOut: boolean;
  /** the stored address that matched */
  readonly address: string;
  /** exact, by ignoring the local part's case, or by dropping a `+tag`: the trace says which */
  readonly via: AddressMatch;
}

/** Reads of the directory for decide (identify, categorize) and the faces. Nothing here writes. */
export interface DirectoryReader {
  /** The user or contact one of whose addresses `address` is, under `settings` (defaults: case-insensitive local part, `+` tags). */
  findPartyByAddress(address: string, settings?: AddressSettings): Promise<PartyMatch | undefined>;
  /** Users and contacts with an address at `domain` (any case, with or without `@`). */
  contactsOfDomain(domain: string): Promise<Party[]>;
  /**
   * The primary contacts "using" `domain` (seed 004): the primary contact of each company that
   * owns the domain, and every primary contact with an address at it. Each once.
   */
  primaryContactsOfDomain(domain: string): Promise<Party[]>;
  /** The primary contact of `domain` when there is exactly one (seed 004), otherwise undefined. */
  primaryContactOfDomain(domain: string): Promise<Party | undefined>;
  /** The company that owns `domain`, if one does. */
  companyOfDomain(domain: string): Promise<Company | undefined>;
  /** Active projects on whose team `partyId` is an active member. */
  activeProjectsOf(partyId: string): Promise<Project[]>;
  /** A project by ID, dash- and case-insensitively (`gc003` finds `GC-003`). */
  findProject(id: string): Promise<Project | undefined>;
  /** IDs of the active projects, for scanning subjects. */
  projectIds(): Promise<string[]>;
  getParty(id: string): Promise<Party | undefined>;
  getCompany(id: string): Promise<Company | undefined>;
  /** Users and contacts whose company is `companyId`. */
  partiesOfCompany(companyId: string): Promise<Party[]>;
  listParties(kind?: PartyKind): Promise<Party[]>;
  listCompanies(): Promise<Company[]>;
  listProjects(): Promise<Project[]>;
}

/** What the directory already holds for the IDs, addresses, domains and project keys an import names. */
export interface DirectorySnapshot {
  readonly parties: ReadonlyMap<string, Party>;
  readonly companies: ReadonlyMap<string, Company>;
  readonly projects: ReadonlyMap<string, Project>;
  /** canonical address → owning party ID */
  readonly addressOwners: ReadonlyMap<string, string>;
  /** domain → owning company ID */
  readonly domainOwners: ReadonlyMap<string, string>;
  /** project key (see projectKey) → project ID */
  readonly projectKeyOwners: ReadonlyMap<string, string>;
}

/** The import's access: read what a file touches, then write whole entities. */
export interface DirectoryWriter {
  snapshot(q: {
    ids: readonly string[];
    addresses: readonly string[];
    domains: readonly string[];
    projectKeys: readonly string[];
  }): Promise<DirectorySnapshot>;
  /** Writes these entities, each replacing what was stored under its ID, in one transaction. */
  writeEntities(entities: readonly DirectoryEntity[], now: number): Promise<void>;
}

export type Directory = DirectoryReader & DirectoryWriter;
