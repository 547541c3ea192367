import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogAttachment, catalogMail, fileExtension, planCatalog } from '../../src/domain/documents/catalog.ts';
import { decideDocument, documentTitle } from '../../src/domain/documents/decide-document.ts';
import type { DocumentDecision, DocumentMailInput } from '../../src/domain/documents/decide-document.ts';
import type { DocType } from '../../src/domain/documents/doc-type.ts';
import { findProjectId, resolveProject } from '../../src/domain/documents/project-id.ts';
import { answerRouteRow, emptyRoute, routeFromRows, routeRows, updateRoute } from '../../src/domain/documents/route.ts';
import type { Route, RouteMail, RouteState } from '../../src/domain/documents/route.ts';

// Seed 004 (Spitfire KBA-01532) examples and rules, one test each.

const correspondence: DocType = { name: 'Correspondence', inbound: 'Yes', requiresProject: false, active: true, subtypes: ['EM', 'LT'] };
const docTypes: readonly DocType[] = [
  correspondence,
  { name: 'Field Report', inbound: 'Yes', requiresProject: true, active: true },
  { name: 'Safety Notice', inbound: 'Yes', requiresProject: true, active: true },
  { name: 'Contract Change Order', shortId: 'CCO', inbound: 'Smart', requiresProject: true, active: true },
  { name: 'Invitation to Bid', shortId: 'Inv2Bid', inbound: 'Yes', requiresProject: true, active: true },
  { name: 'Daily Log', inbound: 'No', requiresProject: true, active: true },
  { name: 'Memo', inbound: 'Yes', requiresProject: false, active: true },
  { name: 'Punch List', inbound: 'Yes', requiresProject: true, active: false },
];
const projectIds = ['GC-003', 'GC-007', 'HQ-12'];

function decide(subject: string, overrides: Partial<DocumentMailInput> = {}): DocumentDecision {
  return decideDocument({
    subject,
    projectIds,
    senderActiveProjects: [],
    docTypes,
    senderContact: 'contact:bob',
    domainPrimaryContact: 'contact:acme-primary',
    ...overrides,
  });
}

describe('project ID in the subject (seed 004)', () => {
  it('"Re: Change in schedule for GC003" finds GC-003 (dash omitted)', () => {
    assert.equal(findProjectId('Re: Change in schedule for GC003', projectIds)?.projectId, 'GC-003');
  });
  it('"Fw: GC-003 delayed by power outage" finds GC-003 (dash written)', () => {
    const match = findProjectId('Fw: GC-003 delayed by power outage', projectIds);
    assert.deepEqual(match, { projectId: 'GC-003', text: 'GC-003', index: 4 });
  });
  it('needs word boundaries: XGC003Y and GC0031 are not GC-003', () => {
    assert.equal(findProjectId('Re: XGC003Y schedule', projectIds), null);
    assert.equal(findProjectId('Re: GC0031 schedule', projectIds), null);
    assert.equal(findProjectId('Re: GC0-03 schedule', projectIds), null, 'only the ID\'s own dashes are optional');
  });
  it('scans left to right: the first ID in the subject wins', () => {
    assert.equal(findProjectId('HQ12 and GC003 schedules', projectIds)?.projectId, 'HQ-12');
    assert.equal(findProjectId('GC003 and HQ12 schedules', projectIds)?.projectId, 'GC-003');
  });
  it('without an ID in the subject, the sender\'s single active project team is assumed', () => {
    assert.deepEqual(resolveProject('Delivery tomorrow', projectIds, ['GC-007']), { projectId: 'GC-007', source: 'team' });
  });
  it('several active teams or none: no project', () => {
    assert.equal(resolveProject('Delivery tomorrow', projectIds, ['GC-007', 'HQ-12']).projectId, null);
    assert.equal(resolveProject('Delivery tomorrow', projectIds, []).projectId, null);
  });
  it('the team project is assumed without scanning the subject for a doc type', () => {
    const d = decide('Field Report for yesterday', { senderActiveProjects: ['GC-007'] });
    assert.equal(d.kind, 'create');
    assert.equal(d.project, 'GC-007');
    assert.equal(d.projectSource, 'team');
    assert.equal(d.kind === 'create' && d.docType, 'Correspondence', 'no doc type scanning after the team fallback');
  });
});

describe('new documents (seed 004)', () => {
  it('"Fw: GC003 Safety Notice; fuel oil spill" creates a Safety Notice with the seed\'s fields', () => {
    const d = decide('Fw: GC003 Safety Notice; fuel oil spill');
    assert.equal(d.kind, 'create');
    if (d.kind !== 'create') return;
    assert.equal(d.project, 'GC-003');
    assert.equal(d.docType, 'Safety Notice');
    assert.equal(d.title, 'Fw: GC003 Safety Notice; fuel oil spill');
    assert.equal(d.sourceContact, 'contact:acme-primary', 'primary contact of the sender\'s domain');
    assert.equal(d.responsibleParty, 'contact:bob', 'the sender\'s contact');
    assert.equal(d.subtype, null);
    assert.ok(d.evidence.some((line) => line.includes('Safety Notice')), d.evidence.join('\n'));
  });
  it('"GC003 Field Report: 9/18/2012" creates a Field Report', () => {
    const d = decide('GC003 Field Report: 9/18/2012');
    assert.equal(d.kind, 'create');
    assert.equal(d.kind === 'create' && d.docType, 'Field Report');
    assert.equal(d.project, 'GC-003');
  });
  it('the title is the first 60 characters of the subject', () => {
    const subject = `GC003 Field Report: ${'x'.repeat(80)}`;
    const d = decide(subject);
    assert.equal(d.kind === 'create' && d.title, subject.slice(0, 60));
    assert.equal(documentTitle('😀'.repeat(70)), '😀'.repeat(60), 'characters, not UTF-16 units');
  });
  it('a part of the name (its leading words) recognises the doc type', () => {
    const d = decide('GC003 Safety: fuel oil spill');
    assert.equal(d.kind === 'create' && d.docType, 'Safety Notice');
  });
  it('a part shared by two doc types names neither', () => {
    const withFieldOrder = [...docTypes, { name: 'Field Order', inbound: 'Yes', requiresProject: true, active: true } as const];
    const d = decide('GC003 Field: photos', { docTypes: withFieldOrder });
    assert.equal(d.kind === 'create' && d.docType, 'Correspondence');
    assert.equal(decide('GC003 Field Report: photos', { docTypes: withFieldOrder }).kind === 'create' && 'ok', 'ok');
  });
  it('a name inside a longer name gives way to the longer one', () => {
    const bids: DocType[] = [
      correspondence,
      { name: 'Bid Request', inbound: 'Yes', requiresProject: false, active: true },
      { name: 'Vendor Bid Request', inbound: 'Yes', requiresProject: false, active: true },
    ];
    const d = decide('GC003 Vendor Bid Request for steel', { docTypes: bids });
    assert.equal(d.kind === 'create' && d.docType, 'Vendor Bid Request');
  });
  it('the project ID\'s letters never name a doc type', () => {
    const gc: DocType[] = [correspondence, { name: 'GC', inbound: 'Yes', requiresProject: true, active: true }];
    const d = decide('GC003 delayed', { docTypes: gc });
    assert.equal(d.kind === 'create' && d.docType, 'Correspondence');
  });
});

describe('attaching to an existing document (seed 004)', () => {
  it('"Re: GC003 Field Report # 0146 Photos" attaches to Field Report 0146', () => {
    const d = decide('Re: GC003 Field Report # 0146 Photos');
    assert.equal(d.kind, 'attach');
    assert.deepEqual(d.kind === 'attach' && [d.docType, d.number, d.project], ['Field Report', '0146', 'GC-003']);
  });
  it('"Re: GC003 CCO # 0150.0006 HVAC additional CFM" attaches to CCO 0150.0006', () => {
    const d = decide('Re: GC003 CCO # 0150.0006 HVAC additional CFM');
    assert.equal(d.kind, 'attach');
    assert.deepEqual(d.kind === 'attach' && [d.docType, d.number], ['Contract Change Order', '0150.0006']);
  });
  it('only a numeric word right after the # is a document number', () => {
    assert.equal(decide('Re: GC003 Field Report # abc').kind, 'create');
    assert.equal(decide('Re: GC003 Field Report # 0146abc').kind, 'create');
    assert.equal(decide('Re: GC003 Field Report photos # 0146').kind, 'create', 'the # must end the doc type');
    assert.equal(decide('Re: GC003 Field Report #0146').kind, 'attach');
  });
});

describe('doc type rules (seed 004)', () => {
  it('once a short ID is set, only the short ID counts', () => {
    const byName = decide('GC003 Invitation to Bid: roofing');
    assert.equal(byName.kind === 'create' && byName.docType, 'Correspondence');
    const byShortId = decide('GC003 Inv2Bid: roofing');
    assert.equal(byShortId.kind === 'create' && byShortId.docType, 'Invitation to Bid');
  });
  it('Smart is recognised but may only attach; Yes may create', () => {
    const smart = decide('GC003 CCO HVAC additional CFM');
    assert.equal(smart.kind, 'none');
    assert.match(smart.kind === 'none' ? smart.reason : '', /Smart/);
    assert.equal(decide('GC003 CCO # 12 HVAC').kind, 'attach');
    assert.equal(decide('GC003 Field Report today').kind, 'create');
  });
  it('No is never considered (nor is an inactive doc type)', () => {
    const no = decide('GC003 Daily Log # 12');
    assert.equal(no.kind === 'create' && no.docType, 'Correspondence');
    assert.ok(no.evidence.some((line) => line.includes('"Daily Log" not considered: inbound mode No')));
    const inactive = decide('GC003 Punch List # 3');
    assert.equal(inactive.kind === 'create' && inactive.docType, 'Correspondence');
  });
  it('without a project, doc types that require one are not considered', () => {
    const d = decide('Field Report for the site');
    assert.equal(d.project, null);
    assert.equal(d.kind === 'create' && d.docType, 'Correspondence');
    const memo = decide('Memo about the site');
    assert.equal(memo.kind === 'create' && memo.docType, 'Memo', 'a doc type not requiring a project is');
  });
  it('no doc type recognised: Correspondence with subtype EM', () => {
    const d = decide('Re: Change in schedule for GC003');
    assert.equal(d.kind, 'create');
    assert.deepEqual(d.kind === 'create' && [d.docType, d.subtype, d.project], ['Correspondence', 'EM', 'GC-003']);
  });
  it('Correspondence inactive, EM undefined or Correspondence missing: rejected with that reason', () => {
    const without = (c: DocType | null): DocType[] => [...docTypes.filter((d) => d !== correspondence), ...(c ? [c] : [])];
    const inactive = decide('Re: Change in schedule for GC003', { docTypes: without({ ...correspondence, active: false }) });
    assert.equal(inactive.kind, 'reject');
    assert.match(inactive.kind === 'reject' ? inactive.reason : '', /Correspondence doc type is not active/);
    const noEm = decide('Re: Change in schedule for GC003', { docTypes: without({ ...correspondence, subtypes: ['LT'] }) });
    assert.equal(noEm.kind, 'reject');
    assert.match(noEm.kind === 'reject' ? noEm.reason : '', /EM subtype/);
    const missing = decide('Re: Change in schedule for GC003', { docTypes: without(null) });
    assert.equal(missing.kind, 'reject');
  });
});

// Route helpers: parties are opaque strings; 'p' pending, 'r' responded, 'x' resolved.
const code = { p: 'pending', r: 'responded', x: 'resolved' } as const satisfies Record<string, RouteState>;
function route(groups: string[][], current: number, destination?: number): Route {
  const sequences = groups.map((g, i) => ({
    seq: i + 1,
    parties: g.map((s) => {
      const [party = '', state = 'p'] = s.split(':');
      return { party, state: code[state as keyof typeof code] };
    }),
  }));
  return destination === undefined ? { sequences, current } : { sequences, current, destination };
}
function shape(r: Route): { groups: string[][]; current: number; destination?: number } {
  const inv = { pending: 'p', responded: 'r', resolved: 'x' } as const;
  const groups = r.sequences.map((s) => s.parties.map((p) => `${p.party}:${inv[p.state]}`));
  return r.destination === undefined ? { groups, current: r.current } : { groups, current: r.current, destination: r.destination };
}
const mail = (m: Partial<RouteMail> & { sender: string | null }): RouteMail => ({
  senderInternal: false,
  to: [],
  cc: [],
  responsibleParty: null,
  ...m,
});

describe('route updates (seed 004)', () => {
  it('a sender in the current sequence answers it and resolves its parallel group', () => {
    const { route: r, changes } = updateRoute(route([['A', 'B'], ['C']], 1), mail({ sender: 'A', responsibleParty: 'A' }));
    assert.deepEqual(shape(r), { groups: [['A:r', 'B:x'], ['C:p']], current: 2 });
    assert.match(changes.join('\n'), /parallel group resolved \(B\)/);
  });
  it('a sender not in the current sequence is inserted before it, pushing it down', () => {
    const { route: r } = updateRoute(route([['A:r'], ['B']], 2), mail({ sender: 'C', responsibleParty: 'C' }));
    assert.deepEqual(shape(r), { groups: [['A:r'], ['C:r'], ['B:p']], current: 3 });
  });
  it('a sender not in the route at all starts an empty route', () => {
    const { route: r } = updateRoute(emptyRoute, mail({ sender: 'C', to: ['D'], responsibleParty: 'C' }));
    assert.deepEqual(shape(r), { groups: [['C:r'], ['D:p']], current: 2 });
  });
  it('each TO contact joins the NEXT sequence, merging into a parallel group', () => {
    const { route: r, changes } = updateRoute(route([['A'], ['B']], 1), mail({ sender: 'A', to: ['C', 'B', 'A'], responsibleParty: 'A' }));
    assert.deepEqual(shape(r), { groups: [['A:r'], ['B:p', 'C:p']], current: 2 });
    assert.ok(changes.some((c) => c.includes('C (TO) added in sequence 2')), changes.join('\n'));
  });
  it('after an inserted sender, the next sequence is the one pushed down', () => {
    const { route: r } = updateRoute(route([['A:r'], ['B']], 2), mail({ sender: 'C', to: ['D'], responsibleParty: 'C' }));
    assert.deepEqual(shape(r), { groups: [['A:r'], ['C:r'], ['B:p', 'D:p']], current: 3 });
  });
  it('the responsible party joins that group when the mail is neither from nor to them', () => {
    const base = route([['A'], ['B']], 1);
    assert.deepEqual(shape(updateRoute(base, mail({ sender: 'A', to: ['C'], responsibleParty: 'R' })).route).groups[1], ['B:p', 'C:p', 'R:p']);
    assert.deepEqual(shape(updateRoute(base, mail({ sender: 'A', to: ['C', 'R'], responsibleParty: 'R' })).route).groups[1], ['B:p', 'C:p', 'R:p'], 'to them: once, as a TO');
    const fromThem = shape(updateRoute(base, mail({ sender: 'R', to: ['C'], responsibleParty: 'R' })).route).groups;
    assert.deepEqual(fromThem, [['R:r'], ['A:p', 'C:p'], ['B:p']], 'from them: inserted as sender, not added as a pending party');
  });
  it('an internal sender is added at the bottom when the route ends after the recipients (round trip)', () => {
    const { route: r, changes } = updateRoute(route([['U']], 1), mail({ sender: 'U', senderInternal: true, to: ['C'], responsibleParty: 'C' }));
    assert.deepEqual(shape(r), { groups: [['U:r'], ['C:p'], ['U:p']], current: 2 });
    assert.match(changes.join('\n'), /round trip/);
  });
  it('no round trip when the route goes on after the recipients, or the sender is external', () => {
    const goesOn = updateRoute(route([['U'], ['B'], ['D']], 1), mail({ sender: 'U', senderInternal: true, to: ['C'], responsibleParty: 'C' }));
    assert.deepEqual(shape(goesOn.route).groups, [['U:r'], ['B:p', 'C:p'], ['D:p']]);
    const external = updateRoute(route([['E']], 1), mail({ sender: 'E', senderInternal: false, to: ['C'], responsibleParty: 'C' }));
    assert.deepEqual(shape(external.route).groups, [['E:r'], ['C:p']]);
  });
  it('CC never changes the route, even when the responsible party is the one CC\'d', () => {
    const base = route([['A'], ['B']], 1);
    const plain = updateRoute(base, mail({ sender: 'A', to: ['C'], responsibleParty: 'R' }));
    const withCc = updateRoute(base, mail({ sender: 'A', to: ['C'], cc: ['R', 'Z'], responsibleParty: 'R' }));
    assert.deepEqual(withCc.route, plain.route);
    assert.ok(!routeRows(withCc.route).some((row) => row.party === 'Z'));
  });
  it('the destination sequence is never used, even when its party is the only recipient', () => {
    const { route: r, changes } = updateRoute(route([['A'], ['D']], 1, 2), mail({ sender: 'A', to: ['D'], responsibleParty: 'A' }));
    assert.deepEqual(shape(r), { groups: [['A:r'], ['D:p'], ['D:p']], current: 2, destination: 3 });
    assert.match(changes.join('\n'), /destination/);
    const answering = updateRoute(route([['A:r'], ['D']], 2, 2), mail({ sender: 'D', responsibleParty: 'D' }));
    assert.deepEqual(shape(answering.route), { groups: [['A:r'], ['D:r'], ['D:p']], current: 3, destination: 3 }, 'a destination party cannot answer it by mail');
  });
  it('an unknown sender leaves the route unchanged', () => {
    const base = route([['A']], 1);
    const { route: r, changes } = updateRoute(base, mail({ sender: null, to: ['C'] }));
    assert.equal(r, base);
    assert.match(changes.join('\n'), /route unchanged/);
  });
  it('a reply to a routed-document mail updates its route row, found by row id after a push-down', () => {
    const stored = routeFromRows(
      [
        { seq: 1, party: 'A', state: 'responded', rowId: 'r1' },
        { seq: 2, party: 'B', state: 'pending', rowId: 'r2' },
        { seq: 2, party: 'C', state: 'pending', rowId: 'r3' },
      ],
      2,
    );
    const pushed = updateRoute(stored, mail({ sender: 'E', responsibleParty: 'E' })).route; // B, C now sequence 3
    const { route: r } = answerRouteRow(pushed, { rowId: 'r2' });
    assert.deepEqual(shape(r), { groups: [['A:r'], ['E:r'], ['B:r', 'C:x']], current: 4 });
    assert.deepEqual(routeRows(r).find((row) => row.party === 'B'), { seq: 3, party: 'B', state: 'responded', rowId: 'r2' });
    const bySeq = answerRouteRow(stored, { seq: 2, party: 'C' });
    assert.deepEqual(shape(bySeq.route), { groups: [['A:r'], ['B:x', 'C:r']], current: 3 });
    const gone = answerRouteRow(stored, { rowId: 'nope' });
    assert.equal(gone.route, stored);
  });
  it('routes round-trip through stored rows', () => {
    const r = route([['A:r'], ['B', 'C:x']], 2, 2);
    assert.deepEqual(routeFromRows(routeRows(r), 2, 2), r);
  });
});

describe('attachment cataloguing (seed 004)', () => {
  const rules = { pdf: 1, dwg: 2, exe: 0, eml: 1 } as const;
  it('0 skips, 1 catalogues, 2 catalogues and links, by extension in any case', () => {
    assert.equal(catalogAttachment(rules, 'spec.pdf').action, 'catalogue');
    assert.equal(catalogAttachment(rules, 'plan.DWG').action, 'catalogue-and-link');
    assert.equal(catalogAttachment(rules, 'setup.exe').action, 'skip');
  });
  it('unlisted extensions are skipped unless * says otherwise', () => {
    assert.equal(catalogAttachment(rules, 'notes.docx').action, 'skip');
    assert.equal(catalogAttachment({ ...rules, '*': 1 }, 'notes.docx').action, 'catalogue');
    assert.equal(catalogAttachment({ ...rules, '*': 1 }, 'setup.exe').action, 'skip', 'a listed 0 still wins');
    assert.equal(fileExtension('archive.tar.gz'), 'gz');
    assert.equal(fileExtension('.profile'), '');
  });
  it('the mail itself (.eml) is catalogued only with a target folder and an eml rule of 1 or 2', () => {
    assert.equal(catalogMail(rules, null, 'mail.eml').action, 'skip');
    assert.equal(catalogMail(rules, '/projects/GC-003/mail', 'mail.eml').action, 'catalogue');
    assert.equal(catalogMail({ ...rules, eml: 2 }, '/f', 'mail.eml').action, 'catalogue-and-link');
    assert.equal(catalogMail({ ...rules, eml: 0 }, '/f', 'mail.eml').action, 'skip');
    assert.equal(catalogMail({ pdf: 1, '*': 2 }, '/f', 'mail.eml').action, 'skip', '* does not stand in for eml');
  });
  it('plans a whole mail', () => {
    const plan = planCatalog({ rules, attachments: ['a.pdf', 'b.exe'], targetFolder: '/f', mailFilename: 'm.eml' });
    assert.deepEqual(plan.attachments.map((a) => a.action), ['catalogue', 'skip']);
    assert.equal(plan.mail.action, 'catalogue');
  });
});
