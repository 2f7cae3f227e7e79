/**
 * A fixed block of V8 heap that `mlpack serve` holds for its whole life, so that V8 stops running a
 * full collection every few hundred milliseconds under load.
 *
 * Why: V8 starts incremental marking (which ends in a mark-compact) as soon as the room left under its
 * old-generation limit is smaller than the young generation, because one scavenge could promote that
 * much. The limit grows with the live old generation; the server's is small (~10 MB: code and
 * modules), while its young generation grows to 2 × 16 MB under load. Under c64 JSON load on the 25M
 * MLP, `--trace-incremental-marking` showed marking started "(task)" at 10-13 MB of a 34-37 MB limit,
 * 2 to 20 mark-compacts every 3 s: pauses on the HTTP thread and marking on V8's helper threads, on
 * the cores the model needs. Started with `node --initial-old-space-size=256` the server ran none and
 * served 12-20% more requests a second (JSON; binary 3%), but a flag only counts at start-up and
 * `mlpack serve` is started in many ways (a terminal, `node bin/mlpack.js`, an image's entrypoint).
 * Holding 16 MiB of doubles does the same from inside: no mark-compact in the same load (counted over
 * 3 s), JSON +10-16% in alternating rounds. A double array has no pointers to trace, so the block
 * costs a mark-compact nothing when one does run; it costs 16 MiB of resident memory.
 */
let reserve: number[] | undefined;

/** Bytes held. */
export const HEAP_RESERVE_BYTES = 16 * 1024 * 1024;

/** Allocates the reserve once per process (later calls do nothing); returns the bytes held. */
export function holdHeapReserve(): number {
  reserve ??= new Array<number>(HEAP_RESERVE_BYTES / 8).fill(0.5);
  return reserve.length * 8;
}
