/** What commands may touch: output streams and the exit status (never process.exit). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
}
