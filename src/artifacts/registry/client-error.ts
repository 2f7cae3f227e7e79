import { UserError } from "../../errors.js";

/** A registry answered with an error status; `code` is the distribution error code when given. */
export class RegistryError extends UserError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
    hint: string,
  ) {
    super(message, { hint });
  }
}
