/** An API error: the HTTP status and a code a client can branch on, with the sentence an admin reads. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** The body of every error answer: `{ "error": { "code": "not_found", "message": "…" } }`. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
