// Errors a user caused (bad file, bad flag): the CLI prints their message as one line and exits 1,
// without a stack trace. Anything else is a bug and keeps its trace.
export class UserError extends Error {
  override name = "UserError";
}

/** A UserError that ends the CLI with a given exit code (130 after SIGINT, 143 after SIGTERM). */
export class ExitError extends UserError {
  override name = "ExitError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Throws a UserError with the file name in front: "<file>: <problem>". */
export function fileError(file: string, problem: string): never {
  throw new UserError(`${file}: ${problem}`);
}
