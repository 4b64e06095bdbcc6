/**
 * Errors a caller can act on. Each maps to one `isError` tool result (or a 4xx) whose message
 * says what was wrong and how to fix the call. Anything else is an internal error: it is logged
 * with the request id and the caller gets a generic message (no stack, no data).
 */
export enum ErrorCode {
  InvalidInput = "invalid_input",
  NotFound = "not_found",
  Conflict = "conflict",
  Forbidden = "forbidden",
}

export class HealthmateError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends HealthmateError {
  constructor(message: string) {
    super(ErrorCode.InvalidInput, message);
  }
}

export class NotFoundError extends HealthmateError {
  constructor(message: string) {
    super(ErrorCode.NotFound, message);
  }

  /** "Goal 'abc' was not found for this user. <hint>" */
  static of(what: string, id: string, hint = ""): NotFoundError {
    return new NotFoundError(`${what} '${id}' was not found for this user.${hint ? ` ${hint}` : ""}`);
  }
}

export class ConflictError extends HealthmateError {
  constructor(message: string) {
    super(ErrorCode.Conflict, message);
  }
}

export function isHealthmateError(error: unknown): error is HealthmateError {
  return error instanceof HealthmateError;
}
