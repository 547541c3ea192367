import type { Company, Party, Project } from '../domain/directory/types.ts';
import type { Directory } from '../store/directory.ts';

/** The JSON of each kind, the same shape `directory import` reads: `list --json` output imports back. */
export function partyJson(p: Party) {
  return { id: p.id, name: p.name, addresses: p.addresses, company: p.companyId, lockedOut: p.lockedOut };
}
export function companyJson(c: Company) {
  return { id: c.id, name: c.name, domains: c.domains, primaryContact: c.primaryContactId };
}
export function projectJson(p: Project) {
  return {
    id: p.id,
    name: p.name,
    active: p.active,
    team: p.team.filter((m) => m.active).map((m) => m.partyId),
    inactiveTeam: p.team.filter((m) => !m.active).map((m) => m.partyId),
  };
}

export const directoryKinds = ['user', 'contact', 'company', 'project'] as const;
export type DirectoryKind = (typeof directoryKinds)[number];

/** The directory as `directory list --json` prints it (and `GET /api/v1/directory` answers): one kind, or all. */
export async function directoryListing(directory: Directory, kind?: string) {
  if (kind !== undefined && !(directoryKinds as readonly string[]).includes(kind))
    throw new Error(`unknown kind "${kind}"; use one of: ${directoryKinds.join(', ')}`);
  const want = (k: DirectoryKind): boolean => kind === undefined || kind === k;
  return {
    ...(want('user') ? { users: (await directory.listParties('user')).map(partyJson) } : {}),
    ...(want('contact') ? { contacts: (await directory.listParties('contact')).map(partyJson) } : {}),
    ...(want('company') ? { companies: (await directory.listCompanies()).map(companyJson) } : {}),
    ...(want('project') ? { projects: (await directory.listProjects()).map(projectJson) } : {}),
  };
}
