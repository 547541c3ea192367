import { compile } from 'html-to-text';

// Converting is superlinear on hostile markup; a body this large is read from `html` anyway.
const maxHtmlChars = 2 * 1024 * 1024;
const maxDepth = 1000;
// Compiled once: building the selector engine per call cost more than the conversion itself.
let converter: ((html: string) => string) | null = null;

/**
 * The text of an HTML body, for mail whose only body is HTML. mailparser converts the HTML only
 * when it is the message's root part, so a multipart/mixed mail with one HTML part and
 * attachments (common from newsletter tools and web forms) would otherwise have no text at all.
 * Uses the same converter and depth limit as mailparser, so the text reads the same either way.
 */
export function textFromHtml(html: string): { text: string; warning: string | null } {
  if (html.length > maxHtmlChars)
    return { text: '', warning: `the HTML body (${html.length} characters) is too long to turn into text` };
  try {
    converter ??= compile({ limits: { maxDepth } });
    return { text: converter(html), warning: null };
  } catch (err) {
    return { text: '', warning: `the HTML body could not be turned into text: ${(err as Error).message}` };
  }
}
