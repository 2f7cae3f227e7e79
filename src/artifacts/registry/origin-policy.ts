/**
 * Where credentials may go. A registry names other URLs (upload Locations, redirects to blob
 * storage, the token realm); mlpack follows them, but sends the Authorization header only to the
 * origin it belongs to (the registry the user logged in to, or the token realm the registry named),
 * and never speaks plain http unless the user marked the registry insecure. Redirects are followed
 * here, hop by hop, so each hop is checked (fetch's own follower would keep the method's body but
 * cannot refuse an https → http downgrade).
 */
import { RegistryError } from "./client-error.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

export interface PolicyRequest {
  method: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** What the request is for, in error messages. */
  what: string;
}

export interface FollowResult {
  res: Response;
  /** The URL that gave `res` (after redirects). */
  url: string;
}

export class OriginPolicy {
  constructor(
    /** The registry the user named, for messages. */
    private readonly host: string,
    private readonly insecure: boolean,
    private readonly fetchImpl: typeof fetch,
  ) {}

  /** Refuses URLs that are not https (or http for an insecure registry). */
  check(url: string, what: string): URL {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new RegistryError(
        `${what}: ${this.host} sent an invalid URL ${JSON.stringify(url.slice(0, 200))}`,
        0,
        undefined,
        "the registry does not follow the distribution API; check its configuration",
      );
    }
    if (u.protocol === "https:" || (u.protocol === "http:" && this.insecure)) return u;
    throw new RegistryError(
      `${what}: ${this.host} pointed mlpack at ${u.protocol}//${u.host}, which is not https; refused`,
      0,
      undefined,
      u.protocol === "http:"
        ? `mlpack speaks plain http only to registries marked insecure (--insecure); if ${this.host} is on a network you trust, pass --insecure`
        : "the registry does not follow the distribution API; check its configuration",
    );
  }

  /**
   * Fetches `url`, following redirects; `auth` headers go only to URLs on `authOrigin`.
   * A POST answered by 301/302/303 continues as a GET without a body, as browsers do.
   */
  async fetch(
    url: string,
    req: PolicyRequest,
    auth: Record<string, string>,
    authOrigin: string,
  ): Promise<FollowResult> {
    let method = req.method;
    let body = req.body;
    for (let hop = 0; ; hop++) {
      const u = this.check(url, req.what);
      const res = await this.fetchImpl(u, {
        method,
        headers: { ...req.headers, ...(u.origin === authOrigin ? auth : {}) },
        body: body as Uint8Array<ArrayBuffer> | string | undefined,
        redirect: "manual",
      });
      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || !location) return { res, url };
      await res.arrayBuffer().catch(() => undefined);
      if (hop >= MAX_REDIRECTS)
        throw new RegistryError(
          `${req.what}: more than ${MAX_REDIRECTS} redirects from ${this.host}`,
          res.status,
          undefined,
          "the registry (or a proxy in front of it) redirects in a loop; check its configuration",
        );
      if (res.status === 303 || (res.status !== 307 && res.status !== 308 && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      url = new URL(location, u).toString();
    }
  }
}

export function originOf(url: string): string {
  return new URL(url).origin;
}
