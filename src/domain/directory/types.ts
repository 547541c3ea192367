// The directory (issue 5): who may write to us and what they belong to. Seed 001 identifies
// the sender among users; seed 004 among contacts, their companies and project teams.

/** `user` is one of ours (internal); `contact` is someone outside (a client, a subcontractor). */
export type PartyKind = 'user' | 'contact';

/** A user or a contact: one person with one or more addresses. */
export interface Party {
  readonly id: string;
  readonly kind: PartyKind;
  readonly name: string;
  /** as imported, the domain lower-cased; the first is the one to write to */
  readonly addresses: readonly string[];
  readonly companyId: string | null;
  /** seed 001: mail from a locked-out user is skipped */
  readonly lockedOut: boolean;
}

/** A company: the domains its people write from, and the contact who speaks for it (seed 004). */
export interface Company {
  readonly id: string;
  readonly name: string;
  /** lower-case, without a leading `@` */
  readonly domains: readonly string[];
  readonly primaryContactId: string | null;
}

export interface ProjectMember {
  readonly partyId: string;
  readonly active: boolean;
}

/** A project such as `GC-003` and its team (seed 004: "exactly one active project team"). */
export interface Project {
  readonly id: string;
  readonly name: string;
  readonly active: boolean;
  readonly team: readonly ProjectMember[];
}

export type DirectoryKind = PartyKind | 'company' | 'project';
export const directoryKinds: readonly DirectoryKind[] = ['user', 'contact', 'company', 'project'];

/**
 * How addresses match (config key `directory`). The domain is always case-insensitive
 * (RFC 5321 §2.4); the local part is case-sensitive by the RFC but almost never in practice.
 */
export interface AddressSettings {
  readonly localPartCase: 'insensitive' | 'sensitive';
  /** `+` makes `bob+invoices@x.com` match `bob@x.com`; '' turns subaddresses off */
  readonly subaddressSeparator: string;
}

export const defaultAddressSettings: AddressSettings = {
  localPartCase: 'insensitive',
  subaddressSeparator: '+',
};

/** One imported thing: a party, a company or a project, whole (an import row replaces it). */
export type DirectoryEntity =
  | { readonly kind: PartyKind; readonly party: Party }
  | { readonly kind: 'company'; readonly company: Company }
  | { readonly kind: 'project'; readonly project: Project };

/** The ID of any entity. */
export function entityId(entity: DirectoryEntity): string {
  return entity.kind === 'company'
    ? entity.company.id
    : entity.kind === 'project'
      ? entity.project.id
      : entity.party.id;
}

/**
 * The lookup key of a project ID: upper case, dashes dropped, so `gc003` and `GC-003` find
 * `GC-003` (seed 004: "The Project ID may have dashes or not").
 */
export function projectKey(id: string): string {
  return id.replaceAll('-', '').toUpperCase();
}
