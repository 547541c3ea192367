/**
 * Rules as config declares them, after validation: the route stage evaluates these and never
 * sees raw YAML. Seed 003 gives the phases and their order, seed 001 the inbound actions.
 */

export const textFields = [
  'from',
  'fromDomain',
  'to',
  'toDomain',
  'cc',
  'ccDomain',
  'recipient',
  'recipientDomain',
  'subject',
  'body',
  'replyText',
  'attachmentName',
  'attachmentType',
  'class',
  'category',
  'sender',
  'senderId',
  'company',
  'trust',
  'mailbox',
  'tag',
  'list',
] as const;
export type TextField = (typeof textFields)[number];

export const numberFields = ['size', 'attachmentSize', 'attachments', 'score'] as const;
export type NumberField = (typeof numberFields)[number];

export const flagFields = ['loopback', 'hasAttachments', 'autoSubmitted'] as const;
export type FlagField = (typeof flagFields)[number];

export const textOperators = ['equals', 'contains', 'starts', 'ends', 'matches', 'isAnyOf'] as const;
export type TextOperator = (typeof textOperators)[number];
export const numberOperators = ['equals', 'atLeast', 'atMost', 'isAnyOf'] as const;
export type NumberOperator = (typeof numberOperators)[number];

export interface TextTest {
  op: TextOperator;
  /** one value, or several for isAnyOf */
  values: string[];
  caseSensitive: boolean;
}

export interface NumberTest {
  op: NumberOperator;
  values: number[];
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { field: TextField; test: TextTest }
  | { field: 'header'; name: string; test: TextTest }
  | { field: NumberField; number: NumberTest }
  | { field: FlagField; flag: boolean }
  /** minutes after midnight in `zone`; from > to spans midnight; days 0 = Sunday */
  | { field: 'time'; from: number | null; to: number | null; days: number[] | null; zone: string };

export type Action =
  | { kind: 'createRecord'; type: string | null }
  | { kind: 'updateRecord' }
  | { kind: 'setFields'; fields: Record<string, string> }
  | { kind: 'assign'; to: string }
  | { kind: 'tag'; tags: string[] }
  | { kind: 'comment'; template: string }
  | { kind: 'reply'; template: string; subject: string | null }
  | { kind: 'forward'; to: string[]; note: string | null }
  | { kind: 'redirect'; to: string[] }
  | { kind: 'webhook'; endpoint: string }
  | { kind: 'reject'; template: string | null }
  | { kind: 'ignore' }
  | { kind: 'kill' }
  | { kind: 'delete' }
  | { kind: 'stop' }
  /** ms after arrival, or an absolute time (ms) */
  | { kind: 'deferUntil'; afterMs: number | null; at: number | null }
  | { kind: 'moveTo'; folder: string }
  | { kind: 'divert'; mailbox: string }
  | { kind: 'alter'; subject: string | null; text: string | null; headers: Record<string, string> }
  | { kind: 'score'; points: number };
export type ActionKind = Action['kind'];

/** A named rule of a policy or filter list: when it matches, its actions run in order. */
export interface Rule {
  name: string;
  when: Condition | null;
  do: Action[];
}

/** Mercury's content control set: weighted tests; at the threshold, its actions run. */
export interface ControlSet {
  name: string;
  when: Condition | null;
  tests: { when: Condition; weight: number }[];
  threshold: number;
  do: Action[];
}

export type InboundType = 'new' | 'reply' | 'forward';

/** ServiceNow's inbound action: target record type, type, condition, order, stop processing. */
export interface InboundAction {
  name: string;
  type: InboundType;
  /** the record type it works on: a reply matches only when its record is of this type */
  recordType: string | null;
  when: Condition | null;
  order: number;
  stopProcessing: boolean;
  /** empty = the type's built-in behaviour */
  do: Action[];
}

export interface PluginRef {
  name: string;
  /** a module path, relative to the config file */
  module: string;
  options: Record<string, unknown>;
}

export interface RuleSet {
  plugins: PluginRef[];
  preFilter: Rule[];
  contentControl: ControlSet[];
  filters: Rule[];
  postFilter: Rule[];
  inboundActions: InboundAction[];
}

export const emptyRuleSet: RuleSet = {
  plugins: [],
  preFilter: [],
  contentControl: [],
  filters: [],
  postFilter: [],
  inboundActions: [],
};
