import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { canonicalAddress, normalizeDomain, parseAddress } from './address.ts';
import type { DirectoryEntity, DirectoryKind, PartyKind } from './types.ts';

// The file formats are a contract (docs/directory-import.md): column names, JSON keys and the
// list separator stay as they are. A row describes its entity whole: what it leaves out is cleared.

/** Where a row came from, as an admin finds it again: `line 7` in a CSV, `contacts[2]` in JSON. */
export interface RowPlace {
  /** 1-based: the CSV line the row starts on, or the position in its JSON list */
  readonly row: number;
  readonly location: string;
}

/** A row that passed validation. */
export interface ImportRow extends RowPlace {
  readonly entity: DirectoryEntity;
}

/** Why a row was refused: one entry per field at fault. */
export interface RowRejection extends RowPlace {
  readonly kind: DirectoryKind | null;
  readonly id: string | null;
  readonly field: string;
  readonly reason: string;
}

/** What a file held: the valid rows and the refusals. */
export interface ParsedRows {
  readonly rows: ImportRow[];
  readonly rejected: RowRejection[];
}

/** The file as a whole cannot be read (bad CSV quoting, invalid JSON, an unknown column). */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

export const csvColumns = [
  'kind',
  'id',
  'name',
  'addresses',
  'company',
  'lockedOut',
  'domains',
  'primaryContact',
  'active',
  'team',
  'inactiveTeam',
] as const;
type CsvColumn = (typeof csvColumns)[number];

/** The CSV columns each kind may fill; a value in any other is refused rather than ignored. */
const columnsOf: Record<DirectoryKind, readonly CsvColumn[]> = {
  user: ['kind', 'id', 'name', 'addresses', 'company', 'lockedOut'],
  contact: ['kind', 'id', 'name', 'addresses', 'company', 'lockedOut'],
  company: ['kind', 'id', 'name', 'domains', 'primaryContact'],
  project: ['kind', 'id', 'name', 'active', 'team', 'inactiveTeam'],
};

const listSeparator = ';';

// ---- field schemas, shared by CSV and JSON ----

/** Error text for a missing or wrong-typed value, phrased as what was expected. */
function expecting(what: string) {
  return (iss: { readonly input?: unknown }): string =>
    iss.input === undefined ? `is required: expected ${what}` : `expected ${what}`;
}

const idSchema = z
  .string({ error: expecting('an ID') })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'is longer than 100 characters' })
  // `show` tells an ID from an address by the `@`; lists are `;`-separated.
  .regex(/^[^\s@;,]+$/, { error: 'must not contain spaces, @, ; or ,' });

const projectIdSchema = z
  .string({ error: expecting('a project ID such as GC-003') })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'is longer than 100 characters' })
  .regex(/^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/, {
    error: 'expected letters and digits with single dashes between them, such as GC-003',
  });

const nameSchema = z
  .string({ error: 'expected text' })
  .trim()
  .max(200, { error: 'is longer than 200 characters' })
  .default('');

const addressSchema = z.string({ error: 'expected an email address' }).transform((text, ctx) => {
  const parsed = parseAddress(text);
  if (parsed === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(text.trim())} is not an email address`,
      input: text,
    });
    return z.NEVER;
  }
  return canonicalAddress(parsed);
});

const domainSchema = z.string({ error: 'expected a domain' }).transform((text, ctx) => {
  const domain = normalizeDomain(text);
  if (domain === undefined) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text.trim())} is not a domain`, input: text });
    return z.NEVER;
  }
  return domain;
});

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

const addressesSchema = z
  .array(addressSchema, { error: expecting('a list of email addresses') })
  .min(1, { error: 'at least one address is required' })
  .transform(unique);
const domainsSchema = z
  .array(domainSchema, { error: expecting('a list of domains') })
  .min(1, { error: 'at least one domain is required' })
  .transform(unique);
const idListSchema = z.array(idSchema, { error: 'expected a list of IDs' }).default([]).transform(unique);
const optionalIdSchema = idSchema.nullable().default(null);

// ---- JSON ----

const partyJson = z.strictObject({
  id: idSchema,
  name: nameSchema,
  addresses: addressesSchema,
  company: optionalIdSchema,
  lockedOut: z.boolean({ error: 'expected true or false' }).default(false),
});
const companyJson = z.strictObject({
  id: idSchema,
  name: nameSchema,
  domains: domainsSchema,
  primaryContact: optionalIdSchema,
});
const projectJson = z.strictObject({
  id: projectIdSchema,
  name: nameSchema,
  active: z.boolean({ error: 'expected true or false' }).default(true),
  team: idListSchema,
  inactiveTeam: idListSchema,
});

const jsonLists = { users: 'user', contacts: 'contact', companies: 'company', projects: 'project' } as const;

// ---- turning a validated object into an entity ----

type PartyInput = z.output<typeof partyJson>;
type CompanyInput = z.output<typeof companyJson>;
type ProjectInput = z.output<typeof projectJson>;

function partyEntity(kind: PartyKind, v: PartyInput): DirectoryEntity {
  return {
    kind,
    party: {
      id: v.id,
      kind,
      name: v.name,
      addresses: v.addresses,
      companyId: v.company,
      lockedOut: v.lockedOut,
    },
  };
}

function companyEntity(v: CompanyInput): DirectoryEntity {
  return {
    kind: 'company',
    company: { id: v.id, name: v.name, domains: v.domains, primaryContactId: v.primaryContact },
  };
}

function projectEntity(
  v: ProjectInput,
  place: RowPlace,
  rejected: RowRejection[],
): DirectoryEntity | undefined {
  const both = v.team.filter((id) => v.inactiveTeam.includes(id));
  if (both.length > 0) {
    rejected.push({
      ...place,
      kind: 'project',
      id: v.id,
      field: 'inactiveTeam',
      reason: `${both.join(', ')} cannot be both an active and an inactive member`,
    });
    return undefined;
  }
  const team = [
    ...v.team.map((partyId) => ({ partyId, active: true })),
    ...v.inactiveTeam.map((partyId) => ({ partyId, active: false })),
  ];
  return { kind: 'project', project: { id: v.id, name: v.name, active: v.active, team } };
}

/** Validates one object against the schema of its kind; refusals go to `rejected`. */
function validate(
  kind: DirectoryKind,
  input: Record<string, unknown>,
  place: RowPlace,
  rejected: RowRejection[],
): DirectoryEntity | undefined {
  const schema = kind === 'company' ? companyJson : kind === 'project' ? projectJson : partyJson;
  const result = schema.safeParse(input);
  if (!result.success) {
    const id = typeof input['id'] === 'string' && input['id'].trim() !== '' ? input['id'].trim() : null;
    for (const issue of result.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      rejected.push({
        ...place,
        kind,
        id,
        field: keys.length > 0 ? keys.join(', ') : issue.path.map(String).join('.') || '(row)',
        reason: keys.length > 0 ? `not a field of a ${kind}` : issue.message,
      });
    }
    return undefined;
  }
  if (kind === 'company') return companyEntity(result.data as CompanyInput);
  if (kind === 'project') return projectEntity(result.data as ProjectInput, place, rejected);
  return partyEntity(kind, result.data as PartyInput);
}

/** Parses the JSON format: `{ users: [...], contacts: [...], companies: [...], projects: [...] }`. */
export function parseJsonRows(text: string): ParsedRows {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ImportFileError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ImportFileError('expected a JSON object with users, contacts, companies and/or projects lists');
  const top = data as Record<string, unknown>;
  const unknown = Object.keys(top).filter((k) => !(k in jsonLists));
  if (unknown.length > 0)
    throw new ImportFileError(
      `unknown key ${unknown.join(', ')}; expected users, contacts, companies, projects`,
    );
  const rows: ImportRow[] = [];
  const rejected: RowRejection[] = [];
  for (const [list, kind] of Object.entries(jsonLists)) {
    const items = top[list];
    if (items === undefined) continue;
    if (!Array.isArray(items)) throw new ImportFileError(`${list} must be a list`);
    items.forEach((item: unknown, index) => {
      const place = { row: index + 1, location: `${list}[${index}]` };
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        rejected.push({ ...place, kind, id: null, field: '(row)', reason: 'expected an object' });
        return;
      }
      const entity = validate(kind, item as Record<string, unknown>, place, rejected);
      if (entity) rows.push({ ...place, entity });
    });
  }
  return { rows, rejected };
}

// ---- CSV ----

const trueWords = new Set(['true', 'yes', 'y', '1']);
const falseWords = new Set(['false', 'no', 'n', '0']);

/** A CSV cell as the JSON value its field expects; `undefined` leaves the default. */
function csvValue(column: CsvColumn, cell: string): unknown {
  const text = cell.trim();
  if (text === '') return undefined;
  switch (column) {
    case 'addresses':
    case 'domains':
    case 'team':
    case 'inactiveTeam':
      return text
        .split(listSeparator)
        .map((part) => part.trim())
        .filter((part) => part !== '');
    case 'lockedOut':
    case 'active': {
      const word = text.toLowerCase();
      // An unknown word goes through as text, so the schema reports it with the field's name.
      return trueWords.has(word) ? true : falseWords.has(word) ? false : text;
    }
    default:
      return text;
  }
}

/** Maps the header row to known columns; any unknown column fails the file (a typo would silently drop data). */
function readHeader(header: readonly string[]): (CsvColumn | null)[] {
  const byLower = new Map(csvColumns.map((c) => [c.toLowerCase(), c]));
  const columns = header.map((name) =>
    name.trim() === '' ? null : (byLower.get(name.trim().toLowerCase()) ?? name),
  );
  const unknown = columns.filter(
    (c): c is string => c !== null && !(csvColumns as readonly string[]).includes(c),
  );
  if (unknown.length > 0)
    throw new ImportFileError(
      `unknown column ${unknown.join(', ')}; the columns are ${csvColumns.join(', ')}`,
    );
  for (const required of ['kind', 'id'] as const)
    if (!columns.includes(required)) throw new ImportFileError(`the header has no ${required} column`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (c === null) continue;
    if (seen.has(c)) throw new ImportFileError(`column ${c} appears twice`);
    seen.add(c);
  }
  return columns as (CsvColumn | null)[];
}

/** Parses the CSV format: a header row, then one row per entity with its `kind`. */
export function parseCsvRows(text: string): ParsedRows {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // Files edited on two systems mix CRLF and LF; without this the first line decides.
      record_delimiter: ['\r\n', '\n', '\r'],
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw new ImportFileError(`not valid CSV: ${err instanceof Error ? err.message : String(err)}`);
  }
  const [first, ...body] = records;
  if (first === undefined) throw new ImportFileError('the file is empty; expected a header row');
  const columns = readHeader(first.record);
  const rows: ImportRow[] = [];
  const rejected: RowRejection[] = [];
  for (const { record, info } of body) {
    // info.lines is where the record ends; a quoted cell may span lines, so count back.
    const spanned = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    const place = { row: info.lines - spanned, location: `line ${info.lines - spanned}` };
    if (record.length > columns.length) {
      rejected.push({
        ...place,
        kind: null,
        id: null,
        field: '(row)',
        reason: `has ${record.length} cells but the header has ${columns.length}`,
      });
      continue;
    }
    const cells = new Map<CsvColumn, string>();
    columns.forEach((c, i) => {
      if (c !== null) cells.set(c, record[i] ?? '');
    });
    const kindText = (cells.get('kind') ?? '').trim().toLowerCase();
    const idText = (cells.get('id') ?? '').trim() || null;
    if (!(kindText in columnsOf)) {
      rejected.push({
        ...place,
        kind: null,
        id: idText,
        field: 'kind',
        reason:
          kindText === ''
            ? 'is required: user, contact, company or project'
            : `${JSON.stringify(kindText)} is not user, contact, company or project`,
      });
      continue;
    }
    const kind = kindText as DirectoryKind;
    const input: Record<string, unknown> = {};
    let misplaced = false;
    for (const [column, cell] of cells) {
      if (column === 'kind') continue;
      const value = csvValue(column, cell);
      if (value === undefined) continue;
      if (!columnsOf[kind].includes(column)) {
        rejected.push({
          ...place,
          kind,
          id: idText,
          field: column,
          reason: `does not apply to a ${kind}; leave it empty`,
        });
        misplaced = true;
        continue;
      }
      input[column] = value;
    }
    if (misplaced) continue;
    const entity = validate(kind, input, place, rejected);
    if (entity) rows.push({ ...place, entity });
  }
  return { rows, rejected };
}

/** Parses a directory file by its extension (`.csv` or `.json`). */
export function parseDirectoryFile(fileName: string, text: string): ParsedRows {
  if (/\.json$/i.test(fileName)) return parseJsonRows(text);
  if (/\.csv$/i.test(fileName)) return parseCsvRows(text);
  throw new ImportFileError(`${fileName}: expected a .csv or .json file`);
}
