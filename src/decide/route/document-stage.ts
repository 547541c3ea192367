import { randomUUID } from 'node:crypto';
import type { DocumentRouteRow } from '../../core/document.ts';
import type { ParsedMessage } from '../../core/plan.ts';
import { planCatalog } from '../../domain/documents/catalog.ts';
import { decideDocument } from '../../domain/documents/decide-document.ts';
import { answerRouteRow, routeFromRows, routeRows, updateRoute, type Route } from '../../domain/documents/route.ts';
import type { DecideContext, Draft, Stage, StageOutcome } from '../context.ts';

/**
 * Seed 004, for mailboxes with projectDocuments: general mail creates a project document or
 * joins a numbered one and updates its route; a reply to mail we sent for a route row answers
 * that row. The decisions are the pure functions of src/domain/documents; this stage reads
 * what they need from the directory and the store.
 */
export const documentStage: Stage = {
  name: 'route',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed || !ctx.mailbox.projectDocuments || draft.record) return { kind: 'continue' };
    if ((draft.screening?.class ?? 'general') !== 'general') return { kind: 'continue' };
    const directory = ctx.directory;
    const projects = ctx.projects;
    if (!directory || !projects) return { kind: 'continue' };

    const routed = await routedReply(ctx, draft, parsed);
    if (routed) return routed;

    const party = draft.identity?.party ?? null;
    const address = draft.identity?.address ?? null;
    const domain = address ? address.slice(address.lastIndexOf('@') + 1) : '';
    const decision = decideDocument({
      subject: parsed.subject,
      projectIds: await directory.projectIds(),
      senderActiveProjects: party ? (await directory.activeProjectsOf(party.id)).map((p) => p.id) : [],
      docTypes: projects.docTypes,
      senderContact: party?.id ?? null,
      domainPrimaryContact: domain ? ((await directory.primaryContactOfDomain(domain))?.id ?? null) : null,
    });
    draft.trace.push({ stage: 'route', looked: 'project ID and doc type in the subject', concluded: decision.kind, why: decision.evidence.join('; ') });
    if (decision.kind === 'reject' || decision.kind === 'none') return reject(draft, decision.reason);

    const docType = projects.docTypes.find((d) => d.name === decision.docType);
    const catalog = planCatalog({
      rules: docType?.catalog ?? {},
      attachments: parsed.attachments.map((a) => a.filename),
      targetFolder: projects.catalogFolder || null,
      mailFilename: `${ctx.message.id}.eml`,
    });
    if (decision.kind === 'create') {
      draft.document = {
        kind: 'create',
        projectId: decision.project,
        docType: decision.docType,
        title: decision.title,
        subtype: decision.subtype,
        sourceContact: decision.sourceContact,
        responsibleParty: decision.responsibleParty,
        firstNumber: docType?.firstNumber ?? 1,
        digits: docType?.digits ?? 4,
        catalog,
      };
      draft.outcome = 'created';
      draft.trace.push({
        stage: 'route',
        looked: `${decision.docType} in ${decision.project ?? 'no project'}`,
        concluded: `create a ${decision.docType} document "${decision.title}"`,
        why: `source contact ${decision.sourceContact ?? '(none)'}, responsible party ${decision.responsibleParty ?? '(none)'}`,
      });
      return { kind: 'continue' };
    }

    const document = await ctx.store.findDocument(decision.project, decision.docType, decision.number);
    if (!document) return reject(draft, `no ${decision.docType} # ${decision.number} in ${decision.project ?? 'any project'}`);
    const route = routeFromRows(await ctx.store.getDocumentRoute(document.id), document.routeCurrent, document.routeDestination ?? undefined);
    const update = updateRoute(route, {
      sender: party?.id ?? null,
      senderInternal: party?.kind === 'user',
      to: await partiesOf(ctx, parsed.to.map((a) => a.address)),
      cc: await partiesOf(ctx, parsed.cc.map((a) => a.address)),
      responsibleParty: document.responsibleParty,
    });
    draft.document = { kind: 'attach', documentId: document.id, number: document.number, route: storedRoute(update.route), catalog };
    draft.outcome = 'attached';
    draft.trace.push({
      stage: 'route',
      looked: `${document.docType} # ${document.number} (${document.projectId ?? 'no project'})`,
      concluded: 'attach and update the route',
      why: update.changes.join('; ') || 'route unchanged',
    });
    return { kind: 'continue' };
  },
};

/** A reply to mail we sent for a route row answers exactly that row (seed 004, "Reply Emails"). */
async function routedReply(ctx: DecideContext, draft: Draft, parsed: ParsedMessage): Promise<StageOutcome | null> {
  for (const id of [...parsed.inReplyTo, ...parsed.references.slice().reverse()]) {
    const sent = await ctx.store.findDocumentMail(id);
    if (!sent) continue;
    const document = await ctx.store.getDocument(sent.documentId);
    if (!document) continue;
    const route = routeFromRows(await ctx.store.getDocumentRoute(document.id), document.routeCurrent, document.routeDestination ?? undefined);
    const update = answerRouteRow(route, { rowId: sent.rowId });
    draft.document = { kind: 'attach', documentId: document.id, number: document.number, route: storedRoute(update.route), catalog: null };
    draft.outcome = 'attached';
    draft.trace.push({
      stage: 'route',
      looked: `<${id}>, route mail of ${document.docType} # ${document.number}`,
      concluded: 'reply to a routed-document mail',
      why: update.changes.join('; '),
    });
    return { kind: 'continue' };
  }
  return null;
}

async function partiesOf(ctx: DecideContext, addresses: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const address of addresses) {
    const match = await ctx.directory?.findPartyByAddress(address, ctx.addressSettings);
    if (match && !ids.includes(match.party.id)) ids.push(match.party.id);
  }
  return ids;
}

/** Route rows as stored: every row keeps its id, new rows get one, so route mail can name them. */
function storedRoute(route: Route): { rows: DocumentRouteRow[]; current: number } {
  const rows = routeRows(route).map((r) => ({ rowId: r.rowId ?? randomUUID(), seq: r.seq, party: r.party, state: r.state }));
  return { rows, current: route.current };
}

function reject(draft: Draft, why: string): StageOutcome {
  draft.trace.push({ stage: 'route', looked: 'project documents', concluded: 'rejected', why });
  return { kind: 'stop', state: 'rejected', why };
}
