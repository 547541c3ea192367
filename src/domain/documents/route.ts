/**
 * A document's route (seed 004, "Updates to the Route"): numbered sequences of parties; the
 * parties of one sequence form a parallel group. Stored as rows (document_id, seq, party,
 * state) plus two columns on the document: route_current and route_destination.
 */

export const ROUTE_STATES = ['pending', 'responded', 'resolved'] as const;
/** pending: a response is expected; responded: this party answered; resolved: settled by another's answer */
export type RouteState = (typeof ROUTE_STATES)[number];

export interface RouteParty {
  readonly party: string;
  readonly state: RouteState;
  /**
   * The stored row's own id, kept through updates. Seq numbers shift when a sequence is pushed
   * down, so a route mail must remember the row by this id, not by (seq, party). New rows have none.
   */
  readonly rowId?: string | undefined;
}

export interface RouteSequence {
  /** 1-based position; updateRoute returns sequences numbered 1..n without gaps */
  readonly seq: number;
  readonly parties: readonly RouteParty[];
}

export interface Route {
  readonly sequences: readonly RouteSequence[];
  /** seq of the current sequence; one past the last when the route has run to its end */
  readonly current: number;
  /** seq of the destination sequence, which direct inbound never uses */
  readonly destination?: number | undefined;
}

/** One stored row of a route. */
export interface RouteRow {
  readonly seq: number;
  readonly party: string;
  readonly state: RouteState;
  readonly rowId?: string | undefined;
}

/** The mail as the route sees it: parties already resolved to contacts/users by the caller. */
export interface RouteMail {
  /** the sender's party, or null when the sender is not a known contact */
  readonly sender: string | null;
  /** the sender is internal (a user): the round-trip rule applies */
  readonly senderInternal: boolean;
  /** TO recipients that resolve to a party, in header order; unresolved addresses left out */
  readonly to: readonly string[];
  /** CC recipients: never change the route, listed only for the trace */
  readonly cc: readonly string[];
  /** the document's responsible party */
  readonly responsibleParty: string | null;
}

/** The updated route and what changed, in words, for the trace. */
export interface RouteUpdate {
  readonly route: Route;
  readonly changes: readonly string[];
}

/** A route with no sequences, as a new document has. */
export const emptyRoute: Route = { sequences: [], current: 1 };

/** The rows to store for a route. */
export function routeRows(route: Route): RouteRow[] {
  return route.sequences.flatMap((s) => s.parties.map((p) => ({ ...p, seq: s.seq })));
}

/** Rebuilds a route from its stored rows and the document's current/destination columns. */
export function routeFromRows(rows: readonly RouteRow[], current: number, destination?: number): Route {
  const bySeq = new Map<number, RouteParty[]>();
  for (const row of rows) {
    const parties = bySeq.get(row.seq) ?? [];
    parties.push(row.rowId === undefined ? { party: row.party, state: row.state } : { party: row.party, state: row.state, rowId: row.rowId });
    bySeq.set(row.seq, parties);
  }
  const sequences = [...bySeq.entries()].sort(([a], [b]) => a - b).map(([seq, parties]) => ({ seq, parties }));
  return destination === undefined ? { sequences, current } : { sequences, current, destination };
}

/** Working form: positions instead of seq numbers, mutable groups. */
type Member = { party: string; state: RouteState; rowId?: string | undefined };

interface Draft {
  groups: Member[][];
  current: number;
  destination: number | undefined;
}

function toDraft(route: Route): Draft {
  const ordered = [...route.sequences].filter((s) => s.parties.length > 0).sort((a, b) => a.seq - b.seq);
  const at = ordered.findIndex((s) => s.seq >= route.current);
  const destination = ordered.findIndex((s) => s.seq === route.destination);
  return {
    groups: ordered.map((s) => s.parties.map((p) => ({ ...p }))),
    current: at === -1 ? ordered.length : at,
    destination: destination === -1 ? undefined : destination,
  };
}

function fromDraft(draft: Draft): Route {
  const sequences = draft.groups.map((parties, i) => ({ seq: i + 1, parties }));
  const current = draft.current + 1;
  return draft.destination === undefined ? { sequences, current } : { sequences, current, destination: draft.destination + 1 };
}

/** Inserts an empty group at `position`, pushing that sequence and the rest (and the destination) down. */
function insertGroup(draft: Draft, position: number): void {
  draft.groups.splice(position, 0, []);
  if (draft.destination !== undefined && draft.destination >= position) draft.destination += 1;
}

/**
 * `party` answers the group at `position`: they responded, and every other party still pending
 * there is resolved (seed 004: "the email is used as a response to that route, and any parallel
 * route groups are resolved"). Returns the parties resolved.
 */
function answer(draft: Draft, position: number, party: string): string[] {
  const resolved: string[] = [];
  for (const member of draft.groups[position] ?? []) {
    if (member.party === party) member.state = 'responded';
    else if (member.state === 'pending') {
      member.state = 'resolved';
      resolved.push(member.party);
    }
  }
  return resolved;
}

/** Adds `party` as pending to a group, or sets it pending again if already there. */
function join(group: Member[], party: string): 'added' | 'pending again' | 'already pending' {
  const member = group.find((m) => m.party === party);
  if (member === undefined) {
    group.push({ party, state: 'pending' });
    return 'added';
  }
  if (member.state === 'pending') return 'already pending';
  member.state = 'pending';
  return 'pending again';
}

/** The sender's step: answer the current sequence, or be inserted before it. Returns the sender's position. */
function senderStep(draft: Draft, sender: string, changes: string[]): number {
  const at = draft.current;
  const group = draft.groups[at];
  // "The Destination sequence is never used by direct inbound": its parties cannot answer it by mail.
  if (group !== undefined && at !== draft.destination && group.some((m) => m.party === sender)) {
    const resolved = answer(draft, at, sender);
    changes.push(
      `${sender} is in the current sequence ${at + 1}: responded` +
        (resolved.length > 0 ? `; parallel group resolved (${resolved.join(', ')})` : ''),
    );
    return at;
  }
  insertGroup(draft, at);
  draft.groups[at]?.push({ party: sender, state: 'responded' });
  changes.push(
    group === undefined
      ? `${sender} added as sequence ${at + 1} (the route had no current sequence)`
      : `${sender} is not in the current sequence: inserted as sequence ${at + 1}, pushing the current sequence down to ${at + 2}`,
  );
  return at;
}

/**
 * Seed 004's route update for a general mail on an existing document, rule by rule: the sender
 * answers or is inserted; each TO party joins the NEXT sequence (after the sender's), merging
 * into a parallel group; the responsible party joins that group when the mail is neither from
 * nor to them; an internal sender is appended for a round trip when the recipients' group is
 * the last one; CC never changes the route; the destination sequence is never joined or answered.
 */
export function updateRoute(route: Route, mail: RouteMail): RouteUpdate {
  const changes: string[] = [];
  if (mail.cc.length > 0) changes.push(`CC not routed (no response expected): ${mail.cc.join(', ')}`);
  if (mail.sender === null) {
    // "Assuming sfPMS can resolve the sender of the email to a specific contact …"
    changes.push('sender is not a known contact: route unchanged');
    return { route, changes };
  }
  const sender = mail.sender;
  const draft = toDraft(route);
  const next = senderStep(draft, sender, changes) + 1;

  const recipients = [...new Set(mail.to)].filter((p) => p !== sender);
  const rp = mail.responsibleParty;
  // "to" is the TO field only, so that a CC'd responsible party changes nothing (CC never does).
  const addResponsible = rp !== null && rp !== sender && !mail.to.includes(rp);
  const joiners = addResponsible ? [...recipients, rp] : recipients;
  if (joiners.length > 0) {
    if (next === draft.destination) {
      insertGroup(draft, next);
      changes.push(`sequence ${next + 2} is the destination and is never used: recipients go to a new sequence ${next + 1} before it`);
    } else if (next >= draft.groups.length) draft.groups.push([]);
    const group = draft.groups[next] ?? [];
    const others = group.filter((m) => !joiners.includes(m.party)).map((m) => m.party);
    for (const party of joiners) {
      const how = join(group, party);
      const role = party === rp && addResponsible ? 'responsible party (neither from nor to them)' : 'TO';
      changes.push(`${party} (${role}) ${how} in sequence ${next + 1}`);
    }
    if (others.length > 0) changes.push(`sequence ${next + 1} is a parallel group with ${others.join(', ')}`);
  }
  draft.current = next;

  // "the route ends after the email recipients": the recipients' group is the last sequence.
  if (mail.senderInternal && joiners.length > 0 && next === draft.groups.length - 1) {
    draft.groups.push([{ party: sender, state: 'pending' }]);
    changes.push(`${sender} (internal sender) added at the bottom as sequence ${next + 2}: round trip`);
  }
  return { route: fromDraft(draft), changes };
}

/** A route row named by its stored id, or by (seq, party) when ids are not kept. */
export type RouteRowRef = { readonly rowId: string } | { readonly seq: number; readonly party: string };

function findRow(route: Route, draft: Draft, ref: RouteRowRef): { position: number; party: string } | null {
  if ('rowId' in ref) {
    for (const [position, group] of draft.groups.entries()) {
      const member = group.find((m) => m.rowId === ref.rowId);
      if (member !== undefined) return { position, party: member.party };
    }
    return null;
  }
  const ordered = [...route.sequences].filter((s) => s.parties.length > 0).sort((a, b) => a.seq - b.seq);
  const position = ordered.findIndex((s) => s.seq === ref.seq);
  return position !== -1 && (draft.groups[position] ?? []).some((m) => m.party === ref.party)
    ? { position, party: ref.party }
    : null;
}

/**
 * Seed 004, "Reply Emails": a reply to a mail we sent for one route row updates that row: the
 * party responded and its parallel group is resolved, as for any response to a route; when that
 * was the current sequence, the route moves on to the next one.
 */
export function answerRouteRow(route: Route, ref: RouteRowRef): RouteUpdate {
  const draft = toDraft(route);
  const found = findRow(route, draft, ref);
  if (found === null) {
    return { route, changes: [`route row ${JSON.stringify(ref)} no longer exists: route unchanged`] };
  }
  const { position, party } = found;
  const resolved = answer(draft, position, party);
  const changes = [
    `${party} responded on route sequence ${position + 1}` + (resolved.length > 0 ? `; parallel group resolved (${resolved.join(', ')})` : ''),
  ];
  if (position === draft.current) {
    draft.current = position + 1;
    changes.push(`current sequence moves to ${position + 2}`);
  }
  return { route: fromDraft(draft), changes };
}
