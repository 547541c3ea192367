/**
 * The API of a Postroom plugin (Mercury's "daemons"). A plugin is a module listed under
 * rules.plugins whose default export is a function (message, context) → verdict. It runs after
 * categorize, before the pre-filter policies, and reads everything decide found so far.
 *
 *   // plugins/vip.ts
 *   import type { Plugin } from 'postroom/plugin-api';
 *   const plugin: Plugin = (message, context) =>
 *     message.from.endsWith('@bigcustomer.example') ? { action: 'alter', tags: ['vip'] } : { action: 'continue' };
 *   export default plugin;
 */

export interface PluginMessage {
  readonly id: number;
  readonly mailbox: string;
  readonly messageId: string | null;
  readonly subject: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  /** lower-cased header name → decoded values */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly text: string;
  readonly html: string | null;
  readonly replyText: string;
  readonly attachments: readonly { filename: string; contentType: string; size: number; sha256: string }[];
  /** general, auto_reply, bounce, … */
  readonly class: string;
  /** new, reply, forward */
  readonly category: string;
  readonly sender: { kind: 'user' | 'contact' | 'guest' | 'unknown'; id: string | null; trust: string };
  readonly tags: readonly string[];
  /** ms since epoch */
  readonly receivedAt: number;
}

export interface PluginContext {
  /** rules.plugins[].options of this plugin */
  readonly options: Readonly<Record<string, unknown>>;
  /** ms since epoch */
  readonly now: number;
}

export type PluginVerdict =
  /** nothing to do: the next plugin runs */
  | { action: 'continue' }
  /** change what later phases see and what the record gets */
  | { action: 'alter'; subject?: string; text?: string; headers?: Record<string, string>; tags?: string[] }
  /** delete the job: the message ends as skipped, nothing else happens */
  | { action: 'kill'; reason?: string }
  /** hold the job until this time (ms since epoch or a Date) */
  | { action: 'defer'; until: number | Date; reason?: string }
  /** no further plugins for this message; the other phases run */
  | { action: 'stop'; reason?: string };

export type Plugin = (message: PluginMessage, context: PluginContext) => PluginVerdict | Promise<PluginVerdict>;
