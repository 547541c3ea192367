import { compile, type FormatCallback, type SelectorDefinition } from 'html-to-text';

/**
 * HTML mail marks its quoted history with elements that the converted text no longer shows:
 * Gmail's div.gmail_quote, Apple Mail's and Thunderbird's blockquote type=cite (after a
 * div.moz-cite-prefix), Yahoo's div.yahoo_quoted, Outlook on the web's div#divRplyFwdMsg (its
 * reply header; the history follows as sibling elements). The HTML is converted to text with
 * html-to-text (the converter mailparser uses) and those elements fenced by private-use marker
 * characters, so the text can be split into what the writer wrote and what was quoted.
 */

const quoteOpen = '\uE000';
const quoteClose = '\uE001';
const cutHere = '\uE002';
const markers = /[\uE000-\uE002]/g;

const markerLine = (builder: Parameters<FormatCallback>[2], marker: string): void => {
  builder.openBlock({ leadingLineBreaks: 1 });
  builder.addLiteral(marker);
  builder.closeBlock({ trailingLineBreaks: 1 });
};

const quoted: FormatCallback = (elem, walk, builder) => {
  markerLine(builder, quoteOpen);
  walk(elem.children, builder);
  markerLine(builder, quoteClose);
};

const cut: FormatCallback = (elem, walk, builder) => {
  markerLine(builder, cutHere);
  walk(elem.children, builder);
};

const selectors: SelectorDefinition[] = [
  { selector: 'img', format: 'skip' },
  { selector: 'blockquote', format: 'postroomQuoted' },
  { selector: '.gmail_quote', format: 'postroomQuoted' },
  { selector: '.gmail_signature', format: 'postroomQuoted' },
  { selector: '.yahoo_quoted', format: 'postroomQuoted' },
  { selector: '.moz-cite-prefix', format: 'postroomQuoted' },
  { selector: '.moz-signature', format: 'postroomQuoted' },
  // OWA prefixes ids with "x_" when the mail is quoted again
  { selector: '[id$="divRplyFwdMsg"]', format: 'postroomCut' },
];

// Compiled once: building the selector engine per call cost more than the conversion itself.
let converter: ((html: string) => string) | null = null;

/** Text of the HTML body split into the writer's part and the quoted part; null if it can't be converted. */
export function htmlReplyText(html: string): { keptText: string; removedText: string } | null {
  let text: string;
  try {
    converter ??= compile({
      wordwrap: false,
      limits: { maxDepth: 1000 },
      formatters: { postroomQuoted: quoted, postroomCut: cut },
      selectors,
    });
    text = converter(html.replace(markers, ''));
  } catch {
    return null;
  }
  const kept: string[] = [];
  const removed: string[] = [];
  let depth = 0;
  let afterCut = false;
  for (const line of text.split('\n')) {
    if (line.includes(cutHere)) afterCut = true;
    const opens = line.split(quoteOpen).length - 1;
    const closes = line.split(quoteClose).length - 1;
    const inQuote = depth > 0 || opens > 0;
    depth = Math.max(0, depth + opens - closes);
    const clean = line.replace(markers, '');
    if (clean.trim() === '' && line !== clean) continue;
    (afterCut || inQuote ? removed : kept).push(clean);
  }
  return { keptText: kept.join('\n'), removedText: removed.join('\n').trim() };
}
