import { Liquid } from 'liquidjs';

// Liquid (liquidjs): admins write templates, so the engine must not run their code. Liquid has
// no access to JS, and its output is plain text here (no HTML escaping: answers are text/plain).
const liquid = new Liquid({ strictFilters: true, ownPropertyOnly: true });

export interface TemplateVars {
  record?: { number: string; type: string; subject: string; status: string; assignee: string | null; tags: string[]; fields: Record<string, string> } | null;
  message: { subject: string; from: string; fromName: string; to: string[]; date: string; text: string; messageId: string | null };
  replyText: string;
  watermark?: string;
  mailbox: string;
}

/** Renders a validated template; a template that fails at run time renders as its own source. */
export function renderTemplate(template: string, vars: TemplateVars): string {
  try {
    return liquid.parseAndRenderSync(template, vars as unknown as Record<string, unknown>);
  } catch {
    return template;
  }
}
