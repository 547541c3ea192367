import type { z } from 'zod';
import { ApiError } from './api-error.ts';

/** Parses a request's query, path or body once, answering 400 with every problem named. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  where: 'query' | 'path' | 'body',
): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const key = i.path.join('.');
    return i.code === 'unrecognized_keys'
      ? `unknown ${where} parameter(s) ${i.keys.join(', ')}`
      : `${where} ${key}: ${i.message}`;
  });
  throw new ApiError(400, 'bad_request', problems.join('; '));
}
