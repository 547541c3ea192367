-- The directory (issue 5): users and contacts with their addresses, companies with their
-- domains, projects with their teams. IDs are the admin's own (`u-ann`, `acme`, `GC-003`).
-- References between entities carry no foreign key: an import may name a company before the
-- row that creates it, and checks every reference itself.
CREATE TABLE directory_parties (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  company_id TEXT,
  locked_out SMALLINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
CREATE INDEX directory_parties_company ON directory_parties (company_id);

-- One row per address, stored as imported (domain lower-cased); an address has one owner.
-- Lookups go by (domain, lower-cased local part), then apply the configured case rule.
CREATE TABLE directory_addresses (
  address TEXT PRIMARY KEY,
  party_id TEXT NOT NULL REFERENCES directory_parties (id),
  ordinal BIGINT NOT NULL,
  local_lower TEXT NOT NULL,
  domain TEXT NOT NULL
);
CREATE INDEX directory_addresses_lookup ON directory_addresses (domain, local_lower);
CREATE INDEX directory_addresses_party ON directory_addresses (party_id);

CREATE TABLE directory_companies (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  primary_contact TEXT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX directory_companies_primary ON directory_companies (primary_contact);

CREATE TABLE directory_company_domains (
  domain TEXT PRIMARY KEY,
  company_id TEXT NOT NULL REFERENCES directory_companies (id),
  ordinal BIGINT NOT NULL
);
CREATE INDEX directory_company_domains_company ON directory_company_domains (company_id);

-- project_key is the ID upper-cased without dashes: `GC003` and `gc-003` find `GC-003`.
CREATE TABLE directory_projects (
  id TEXT PRIMARY KEY,
  project_key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  active SMALLINT NOT NULL DEFAULT 1,
  updated_at BIGINT NOT NULL
);

CREATE TABLE directory_project_members (
  project_id TEXT NOT NULL REFERENCES directory_projects (id),
  party_id TEXT NOT NULL,
  active SMALLINT NOT NULL,
  ordinal BIGINT NOT NULL,
  PRIMARY KEY (project_id, party_id)
);
CREATE INDEX directory_project_members_party ON directory_project_members (party_id);
