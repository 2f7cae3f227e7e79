/**
 * Typed errors. The library throws these; only cli/main.ts turns them into exit codes.
 * Anything that is not an MlpackError is an internal error (exit 70, "possible bug").
 */

export const EXIT = {
  ok: 0,
  user: 1,
  usage: 2,
  gateFailed: 3,
  internal: 70,
} as const;

export interface ErrorDetails {
  /** What the user can do next. Printed on its own line after the message. */
  hint?: string;
  cause?: unknown;
}

export class MlpackError extends Error {
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, exitCode: number, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
    this.exitCode = exitCode;
  }
}

/** The user asked for something that cannot be done with what they gave us (exit 1). */
export class UserError extends MlpackError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, EXIT.user, details);
  }
}

/** The bytes are not a well-formed ONNX model, or break a safety rule (exit 1). */
export class ModelFormatError extends UserError {}

/** A node uses an op the chosen target cannot run (exit 1). */
export class UnsupportedOpError extends UserError {}

/** Flags or arguments are wrong (exit 2). */
export class UsageError extends MlpackError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, EXIT.usage, details);
  }
}

/** A gate (performance regression, accuracy drop) failed (exit 3). */
export class GateFailedError extends MlpackError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, EXIT.gateFailed, details);
  }
}

export function isMlpackError(e: unknown): e is MlpackError {
  return e instanceof MlpackError;
}
