import type { Command } from "commander";
import type { CliIo } from "../io.js";

/**
 * `mlpack fingerprint`: the hardware id a benchmark baseline records. CI keys its baseline cache by
 * it (`--id`), so a runner on a different CPU starts a new baseline instead of turning the gate
 * advisory against another machine's numbers.
 */
export function registerFingerprint(program: Command, io: CliIo): void {
  program
    .command("fingerprint")
    .description("print this machine's hardware fingerprint (the id baselines are compared by)")
    .option("--id", "print only the id (for cache keys)")
    .option("--json", "print machine-readable JSON")
    .action(async (opts: { id?: boolean; json?: boolean }) => {
      const { collectFingerprint, describeFingerprint } = await import("../../bench/fingerprint.js");
      const f = collectFingerprint();
      if (opts.json) io.out(JSON.stringify(f, null, 2));
      else if (opts.id) io.out(f.id);
      else io.out(`${f.id}  ${describeFingerprint(f)}`);
    });
}
