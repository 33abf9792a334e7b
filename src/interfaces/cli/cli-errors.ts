/** Errors the CLI turns into a message on stderr and an exit code. */

/** A bad command line (exit code 2). */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** A failure with a message meant for the user as is (exit code 1). */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
