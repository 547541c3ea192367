import type { ParsedMessage } from '../../core/plan.ts';
import { evidence, hasHeader, headerValues } from './header-values.ts';

/**
 * The headers list managers write: RFC 2369 List-* (Help, Unsubscribe, Post, Owner …), RFC 2919
 * List-Id, ezmlm/qmail's Mailing-List and older X-Mailing-List. mailparser folds every List-*
 * header into one `list` entry (its parsed object, not the text), so that entry stands for "some
 * List-* header"; the named ones are checked too in case the parser keeps them one day.
 */
const listHeaders = [
  ['list-id', 'List-Id'],
  ['list-unsubscribe', 'List-Unsubscribe'],
  ['list-post', 'List-Post'],
  ['mailing-list', 'Mailing-List'],
  ['x-mailing-list', 'X-Mailing-List'],
] as const;

/** Mailing-list mail: flagged so that nobody answers it automatically, never an auto-reply by itself. */
export function listEvidence(parsed: ParsedMessage): string[] {
  const found: string[] = [];
  for (const [key, name] of listHeaders) {
    const value = headerValues(parsed, key)[0];
    if (value !== undefined) found.push(evidence(name, value));
  }
  if (found.length === 0 && hasHeader(parsed, 'list')) found.push('List-* header');
  for (const value of headerValues(parsed, 'precedence'))
    if (value.toLowerCase() === 'list') found.push(evidence('Precedence', value));
  return found;
}
