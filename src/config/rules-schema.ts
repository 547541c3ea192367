import { z } from 'zod';
import { expecting, text } from './fields.ts';

// Placeholder shape while the rule parsers are written; replaced in this change.
export const rulesSchema = z
  .strictObject({
    plugins: z.array(z.unknown(), { error: expecting('a list of plugins') }).default([]),
    preFilter: z.array(z.unknown()).default([]),
    contentControl: z.array(z.unknown()).default([]),
    filters: z.array(z.unknown()).default([]),
    postFilter: z.array(z.unknown()).default([]),
    inboundActions: z.array(z.unknown()).default([]),
    include: z.array(text('a file path')).default([]),
  })
  .prefault({});
