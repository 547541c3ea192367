import { PostroomError } from '../core/errors.ts';

/** Database failures surface as the temporary `store_unavailable`, so callers retry or answer 4xx. */
export async function storeCall<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof PostroomError) throw err;
    throw new PostroomError(
      'store_unavailable',
      `database error: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
