import { consideredDocTypes, recognizeDocType } from './doc-type.ts';
import type { DocType } from './doc-type.ts';
import { resolveProject } from './project-id.ts';
import type { ProjectSource } from './project-id.ts';

/** The doc type assumed when the subject names none (seed 004). */
export const CORRESPONDENCE = 'Correspondence';
/** The Correspondence subtype for inbound email (seed 004: "EM (Inbound Email)"). */
export const EMAIL_SUBTYPE = 'EM';
/** Seed 004: "The title is set to the first 60 characters of the subject". */
export const TITLE_LENGTH = 60;

/** What decideDocument needs to know; all of it read from the store by the caller. */
export interface DocumentMailInput {
  readonly subject: string;
  /** IDs of the known projects, as written in the directory (`GC-003`) */
  readonly projectIds: readonly string[];
  /** active projects whose active team includes the sender */
  readonly senderActiveProjects: readonly string[];
  readonly docTypes: readonly DocType[];
  /** the contact the sender's address resolves to (becomes the responsible party), or null */
  readonly senderContact: string | null;
  /** the primary contact of the sender's domain's company (becomes the source contact), or null */
  readonly domainPrimaryContact: string | null;
}

interface Located {
  readonly project: string | null;
  readonly projectSource: ProjectSource | null;
  readonly evidence: readonly string[];
}

/** What to do with a general inbound mail in project-document mode, with the trace of why. */
export type DocumentDecision = Located &
  (
    | {
        readonly kind: 'create';
        readonly docType: string;
        readonly title: string;
        readonly sourceContact: string | null;
        readonly responsibleParty: string | null;
        readonly subtype: string | null;
      }
    | { readonly kind: 'attach'; readonly docType: string; readonly number: string }
    | { readonly kind: 'reject'; readonly reason: string }
    | { readonly kind: 'none'; readonly reason: string }
  );

/** The first TITLE_LENGTH characters (code points, so no half surrogate pair) of the subject. */
export function documentTitle(subject: string): string {
  return Array.from(subject.trim()).slice(0, TITLE_LENGTH).join('');
}

const sameName = (a: string, b: string): boolean => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/**
 * Seed 004: "If no Doc Type is recognized, Correspondence is assumed … If the Correspondence Doc
 * type is not active (or the EM subtype is not defined) the inbound general email will be
 * rejected." Its inbound mode does not matter here: the seed makes it the fallback regardless.
 * A Correspondence that requires a project cannot take projectless mail either, so that is a
 * rejection too (the seed is silent; creating a project document without a project is not an option).
 */
function correspondence(input: DocumentMailInput, located: Located, evidence: string[]): DocumentDecision {
  const docType = input.docTypes.find((d) => sameName(d.name, CORRESPONDENCE));
  const reject = (reason: string): DocumentDecision => {
    evidence.push(reason);
    return { ...located, evidence, kind: 'reject', reason };
  };
  if (docType === undefined) return reject(`general email rejected: the ${CORRESPONDENCE} doc type is not defined`);
  if (!docType.active) return reject(`general email rejected: the ${CORRESPONDENCE} doc type is not active`);
  if (!(docType.subtypes ?? []).some((s) => sameName(s, EMAIL_SUBTYPE))) {
    return reject(`general email rejected: the ${EMAIL_SUBTYPE} subtype of ${CORRESPONDENCE} is not defined`);
  }
  if (docType.requiresProject && located.project === null) {
    return reject(`general email rejected: ${CORRESPONDENCE} requires a project and none was resolved`);
  }
  evidence.push(`${CORRESPONDENCE} assumed with subtype ${EMAIL_SUBTYPE}`);
  return create(input, located, evidence, docType.name, EMAIL_SUBTYPE);
}

function create(
  input: DocumentMailInput,
  located: Located,
  evidence: string[],
  docType: string,
  subtype: string | null,
): DocumentDecision {
  const title = documentTitle(input.subject);
  evidence.push(
    `new ${docType} document "${title}"; source contact ${input.domainPrimaryContact ?? 'none (no primary contact for the sender\'s domain)'}` +
      `; responsible party ${input.senderContact ?? 'none (sender is not a known contact)'}`,
  );
  return {
    ...located,
    evidence,
    kind: 'create',
    docType,
    title,
    sourceContact: input.domainPrimaryContact,
    responsibleParty: input.senderContact,
    subtype,
  };
}

/**
 * Seed 004 for general mail: resolve the project, recognise the doc type, then create a
 * document, attach to the numbered one, reject, or do nothing. Pure: the caller looks the
 * attached document up (and decides what a missing number means).
 */
export function decideDocument(input: DocumentMailInput): DocumentDecision {
  const evidence: string[] = [];
  const project = resolveProject(input.subject, input.projectIds, input.senderActiveProjects);
  let located: Located;
  if (project.projectId === null) {
    evidence.push(project.reason);
    located = { project: null, projectSource: null, evidence };
  } else {
    evidence.push(
      project.source === 'subject'
        ? `project ${project.projectId} from "${project.match.text}" in the subject`
        : `project ${project.projectId}: no project ID in the subject, the sender's single active project team`,
    );
    located = { project: project.projectId, projectSource: project.source, evidence };
  }

  if (project.projectId !== null && project.source === 'team') {
    // Seed 004: the team's project "will be assumed (but no other scanning of the subject line
    // is performed)", so no doc type is looked for and Correspondence follows.
    evidence.push('subject not scanned for a doc type: the project was assumed from the team');
    return correspondence(input, located, evidence);
  }

  const considered = consideredDocTypes(input.docTypes, project.projectId !== null, evidence);
  const span = project.projectId !== null && 'match' in project
    ? { index: project.match.index, length: project.match.text.length }
    : null;
  const recognition = recognizeDocType(input.subject, considered, span);
  evidence.push(...recognition.evidence);
  const match = recognition.match;
  if (match === null) return correspondence(input, located, evidence);

  const name = match.docType.name;
  if (match.number !== null) {
    evidence.push(`attach to ${name} # ${match.number}`);
    return { ...located, evidence, kind: 'attach', docType: name, number: match.number };
  }
  if (match.docType.inbound !== 'Yes') {
    const reason = `${name} is inbound mode ${match.docType.inbound}: only Yes may create a document, and the subject names no "# number" to attach to`;
    evidence.push(reason);
    return { ...located, evidence, kind: 'none', reason };
  }
  // Correspondence named outright still needs its EM subtype: the same checks as the fallback.
  if (sameName(name, CORRESPONDENCE)) return correspondence(input, located, evidence);
  return create(input, located, evidence, name, null);
}
