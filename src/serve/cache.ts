/** The response cache: LRU over a hash of the model and its input bytes. */
import { createHash } from "node:crypto";
import type { Tensor } from "./datatypes.js";

export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  clear(): void {
    this.map.clear();
  }
}

/** sha256 over the model id and every input's name, datatype, shape and bytes, in model order. */
export function cacheKey(modelId: string, inputs: Record<string, Tensor>): string {
  const h = createHash("sha256");
  h.update(modelId).update("\0");
  for (const [name, t] of Object.entries(inputs)) {
    h.update(`${name}\0${t.datatype}\0${t.shape.join(",")}\0`);
    const d = t.data;
    if (Array.isArray(d)) h.update(JSON.stringify(d));
    else h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    h.update("\0");
  }
  return h.digest("base64");
}
