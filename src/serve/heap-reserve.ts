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
 * the cores the model needs. Started with `node --initial-old-space-size=256` the server ran none (and
 * served 12-20% more requests a second in two alternating JSON runs; later runs put the gain within
 * this VM's noise, 0-10%), but a flag only counts at start-up (v8.setFlagsFromString changes nothing) and
 * `mlpack serve` is started in many ways (a terminal, `node bin/mlpack.js`, an image's entrypoint).
 * Holding 16 MiB of heap does the same from inside: no mark-compact in 6 s of the same load (three
 * runs), half the scavenges. The block is an array of small integers: filled with doubles it would
 * first be allocated as tagged slots and copied, leaving a 16 MiB husk that only a mark-compact frees
 * (which now rarely comes); small integers are not pointers, so a mark-compact only scans the block
 * (~1 ms) and scavenges never touch it. It costs 16 MiB of resident memory.
 */
let reserve: number[] | undefined;

/** Bytes held. */
export const HEAP_RESERVE_BYTES = 16 * 1024 * 1024;

/** Allocates the reserve once per process (later calls do nothing); returns the bytes held. */
export function holdHeapReserve(): number {
  reserve ??= new Array<number>(HEAP_RESERVE_BYTES / 8).fill(0);
  return reserve.length * 8;
}
