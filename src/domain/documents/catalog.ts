/**
 * Attachment cataloguing (seed 004, FileCatalogConfig|InboundEmail:ext): per doc type, a rule
 * per file extension. 0 skip, 1 catalogue, 2 catalogue and link.
 */

export const CATALOG_RULES = [0, 1, 2] as const;
export type CatalogRule = (typeof CATALOG_RULES)[number];

/** Extension (lower case, no dot) → rule; the key `*` sets the default for unlisted extensions. */
export type CatalogRules = Readonly<Record<string, CatalogRule>>;

/**
 * Unlisted extensions are skipped unless the doc type sets `*`. An allow-list is the safe
 * default: catalogued files land in a project folder that other people open, and a mail can
 * carry anything (`.exe`, `.js`, `winmail.dat`); an admin who wants "everything" writes `*: 1`.
 */
export const DEFAULT_CATALOG_RULE: CatalogRule = 0;

/** The inbound mail itself is catalogued as a file of this type (seed 004). */
export const MAIL_EXTENSION = 'eml';

export type CatalogAction = 'skip' | 'catalogue' | 'catalogue-and-link';

const ACTIONS: Record<CatalogRule, CatalogAction> = { 0: 'skip', 1: 'catalogue', 2: 'catalogue-and-link' };

/** One file's cataloguing decision and the reason for the trace. */
export interface CatalogItem {
  readonly filename: string;
  readonly extension: string;
  readonly rule: CatalogRule;
  readonly action: CatalogAction;
  readonly reason: string;
}

/** What to catalogue for one mail on one document. */
export interface CatalogPlan {
  readonly attachments: readonly CatalogItem[];
  readonly mail: CatalogItem;
}

/** The extension of a file name, lower case without the dot ('' when it has none). */
export function fileExtension(filename: string): string {
  const base = filename.replace(/^.*[\\/]/, '');
  const dot = base.lastIndexOf('.');
  return dot <= 0 || dot === base.length - 1 ? '' : base.slice(dot + 1).toLowerCase();
}

/** Looks a rule up by extension, case-insensitively; `undefined` when the extension is unlisted. */
function listedRule(rules: CatalogRules, extension: string): CatalogRule | undefined {
  for (const [key, rule] of Object.entries(rules)) {
    if (key.replace(/^\./, '').toLowerCase() === extension) return rule;
  }
  return undefined;
}

/** The rule for one attachment: its extension's rule, else the `*` rule, else DEFAULT_CATALOG_RULE. */
export function catalogAttachment(rules: CatalogRules, filename: string): CatalogItem {
  const extension = fileExtension(filename);
  const listed = extension === '' ? undefined : listedRule(rules, extension);
  const fallback = rules['*'];
  const rule = listed ?? fallback ?? DEFAULT_CATALOG_RULE;
  const why =
    listed !== undefined
      ? `rule ${extension}: ${rule}`
      : fallback !== undefined
        ? `extension "${extension}" unlisted, rule *: ${rule}`
        : `extension "${extension}" unlisted, default ${rule}`;
  return { filename, extension, rule, action: ACTIONS[rule], reason: why };
}

/**
 * Seed 004: "For EML files to be catalogued, a target folder must be specified … and the
 * FileCatalogConfig|InboundEmail:eml rule must have a result value of 1 or 2". Only an explicit
 * `eml` rule counts here; `*` does not stand in for it.
 */
export function catalogMail(rules: CatalogRules, targetFolder: string | null, filename: string): CatalogItem {
  const listed = listedRule(rules, MAIL_EXTENSION);
  const base = { filename, extension: MAIL_EXTENSION };
  if (targetFolder === null || targetFolder.trim() === '') {
    return { ...base, rule: 0, action: 'skip', reason: 'no target folder set: the mail itself is not catalogued' };
  }
  if (listed === undefined || listed === 0) {
    return { ...base, rule: 0, action: 'skip', reason: `the eml rule is ${listed ?? 'unset'}: the mail itself is not catalogued` };
  }
  return { ...base, rule: listed, action: ACTIONS[listed], reason: `target folder set and rule eml: ${listed}` };
}

/** Plans the cataloguing of a mail's attachments and of the mail itself for one doc type. */
export function planCatalog(input: {
  readonly rules: CatalogRules;
  readonly attachments: readonly string[];
  readonly targetFolder: string | null;
  readonly mailFilename: string;
}): CatalogPlan {
  return {
    attachments: input.attachments.map((name) => catalogAttachment(input.rules, name)),
    mail: catalogMail(input.rules, input.targetFolder, input.mailFilename),
  };
}
