/**
 * A client for the OCI distribution API: requests with the Basic or Bearer (token endpoint) flow
 * driven by WWW-Authenticate challenges, and retries with exponential backoff for 5xx, 429 and
 * network failures. fetch and sleep are passed in so tests can drive every path.
 */
import { UserError } from "../../errors.js";
import { silentLogger, type Logger } from "../../log.js";
import { basicHeader, parseChallenges, type CredentialLookup, type Credentials } from "./auth.js";
import { RegistryError } from "./client-error.js";
import { OriginPolicy } from "./origin-policy.js";

export { RegistryError };

export interface RegistryClientOptions {
  /** Plain http (only for registries the user named as insecure). */
  insecure?: boolean;
  credentials?: CredentialLookup;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts after the first for a failed request or upload (default 4). */
  retries?: number;
  /** First backoff delay; doubles each retry (default 250 ms). */
  backoffMs?: number;
  logger?: Logger;
}

export interface RequestInit2 {
  method: string;
  /** Path under https://host (starting with /v2/) or an absolute URL (upload locations). */
  url: string;
  /** Repository scopes: "repository:name:pull,push". */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Statuses that are success for this call; others become RegistryErrors. */
  ok: number[];
  /** Retry 5xx/429/network errors (only for requests that are safe to repeat). */
  retry?: boolean;
  what: string;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RegistryClient {
  readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger: Logger;
  readonly retries: number;
  private readonly backoffMs: number;
  private tokens = new Map<string, string>();
  private basic?: string;
  private creds?: Credentials | null;
  private readonly policy: OriginPolicy;
  /** The only origin that gets the registry's credentials and tokens. */
  private readonly origin: string;

  constructor(
    readonly host: string,
    private readonly opts: RegistryClientOptions = {},
  ) {
    this.base = `${opts.insecure ? "http" : "https"}://${host}`;
    this.fetchImpl = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? sleepReal;
    this.logger = opts.logger ?? silentLogger;
    this.retries = opts.retries ?? 4;
    this.backoffMs = opts.backoffMs ?? 250;
    this.policy = new OriginPolicy(host, opts.insecure === true, this.fetchImpl);
    this.origin = new URL(this.base).origin;
  }

  warn(message: string): void {
    this.logger.warn(message);
  }

  resolve(url: string): string {
    return new URL(url, this.base + "/").toString();
  }

  /** Waits before attempt `n` (1-based retry count), honouring Retry-After when the registry sent it. */
  async backoff(n: number, retryAfter?: string | null): Promise<void> {
    const after =
      retryAfter && /^\d+$/.test(retryAfter) ? Math.min(Number(retryAfter) * 1000, 30_000) : undefined;
    await this.sleep(after ?? this.backoffMs * 2 ** (n - 1));
  }

  static retryable(status: number): boolean {
    return status >= 500 || status === 429 || status === 408;
  }

  async request(req: RequestInit2): Promise<Response> {
    const attempts = req.retry ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.send(req);
      } catch (e) {
        // A TLS handshake with a plain-http registry fails the same way every time: no retries.
        if (e instanceof UserError || attempt >= attempts || isTlsMismatch(e))
          throw this.networkError(req, e);
        this.logger.warn(`${req.what}: ${(e as Error).message}; retrying (${attempt}/${attempts - 1})`);
        await this.backoff(attempt);
        continue;
      }
      if (req.ok.includes(res.status)) return res;
      if (RegistryClient.retryable(res.status) && attempt < attempts) {
        await res.arrayBuffer().catch(() => undefined);
        this.logger.warn(`${req.what}: HTTP ${res.status}; retrying (${attempt}/${attempts - 1})`);
        await this.backoff(attempt, res.headers.get("retry-after"));
        continue;
      }
      throw await this.statusError(req, res);
    }
  }

  /**
   * One request, answering at most one auth challenge. Credentials go only to the registry's own
   * origin: an upload Location or redirect elsewhere (blob storage, a CDN) is followed without them,
   * and a 401 from such a place is an error rather than a reason to hand over the login.
   */
  private async send(req: RequestInit2): Promise<Response> {
    const url = this.resolve(req.url);
    const go = () => this.policy.fetch(url, req, this.authHeader(req.scopes), this.origin);
    const first = await go();
    let res = first.res;
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers.get("www-authenticate"));
    await res.arrayBuffer().catch(() => undefined);
    const answeredBy = new URL(first.url).origin;
    if (answeredBy !== this.origin)
      throw new RegistryError(
        `${req.what}: ${answeredBy}, where ${this.host} sent this request, answered 401 Unauthorized; mlpack sends the login for ${this.host} only to ${this.origin}`,
        401,
        "UNAUTHORIZED",
        `the registry's storage redirect or upload location needs its own authorization (a signed URL); check the registry's storage configuration`,
      );
    const bearer = challenges.find((c) => c.scheme === "bearer");
    const basic = challenges.find((c) => c.scheme === "basic");
    const creds = await this.credentials();
    if (bearer?.params.realm) {
      await this.fetchToken(bearer.params, req.scopes, creds);
    } else if (basic && creds && (creds.username || creds.password)) {
      this.basic = basicHeader(creds);
    } else {
      throw this.unauthorized(req, creds, challenges.length ? challenges[0].scheme : "no");
    }
    res = (await go()).res;
    if (res.status === 401) {
      await res.arrayBuffer().catch(() => undefined);
      throw this.unauthorized(req, creds, bearer ? "bearer" : "basic");
    }
    return res;
  }

  private authHeader(scopes: string[]): Record<string, string> {
    const token = this.tokens.get(scopeKey(scopes));
    if (token) return { authorization: `Bearer ${token}` };
    if (this.basic) return { authorization: this.basic };
    return {};
  }

  private async credentials(): Promise<Credentials | undefined> {
    if (this.creds === undefined) this.creds = (await this.opts.credentials?.(this.host)) ?? null;
    return this.creds ?? undefined;
  }

  private async fetchToken(
    params: Record<string, string>,
    scopes: string[],
    creds?: Credentials,
  ): Promise<void> {
    if (creds?.registryToken) {
      this.tokens.set(scopeKey(scopes), creds.registryToken);
      return;
    }
    // The realm is the one other place the login may go: the registry named it as its token service.
    const what = `${this.host}: token request`;
    const realm = this.policy.check(params.realm, what).toString();
    const url = new URL(realm);
    if (params.service) url.searchParams.set("service", params.service);
    for (const s of scopes.length ? scopes : params.scope ? [params.scope] : [])
      url.searchParams.append("scope", s);
    const auth: Record<string, string> = {};
    let res: Response;
    if (creds?.identityToken) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: creds.identityToken,
        service: params.service ?? "",
        scope: scopes.join(" "),
        client_id: "mlpack",
      });
      ({ res } = await this.policy.fetch(
        realm,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
          what,
        },
        {},
        url.origin,
      ));
    } else {
      if (creds && (creds.username || creds.password)) auth.authorization = basicHeader(creds);
      ({ res } = await this.policy.fetch(url.toString(), { method: "GET", what }, auth, url.origin));
    }
    if (!res.ok) {
      await res.arrayBuffer().catch(() => undefined);
      throw new RegistryError(
        `${this.host}: the token service ${url.origin}${url.pathname} refused ${creds ? "the credentials" : "anonymous access"} (HTTP ${res.status})`,
        res.status,
        undefined,
        creds
          ? `check the login for ${this.host} (docker login ${this.host})`
          : `log in first: docker login ${this.host}`,
      );
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token)
      throw new RegistryError(
        `${this.host}: the token service answered without a token`,
        res.status,
        undefined,
        "check the registry's auth configuration",
      );
    this.tokens.set(scopeKey(scopes), token);
  }

  private unauthorized(req: RequestInit2, creds: Credentials | undefined, scheme: string): RegistryError {
    return new RegistryError(
      `${req.what}: ${this.host} answered 401 Unauthorized (${scheme} auth) ${creds ? "to the credentials from the Docker config" : "and there are no credentials for it"}`,
      401,
      "UNAUTHORIZED",
      creds
        ? `the stored login for ${this.host} was refused or lacks push rights; run \`docker login ${this.host}\` again`
        : `run \`docker login ${this.host}\` (mlpack reads ~/.docker/config.json, or $DOCKER_CONFIG/config.json)`,
    );
  }

  private networkError(req: RequestInit2, e: unknown): Error {
    if (e instanceof UserError) return e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    const tlsHint = /EPROTO|SSL|TLS|wrong version/i.test(String(cause?.message ?? why));
    return new RegistryError(
      `${req.what}: cannot reach ${this.base} (${why})`,
      0,
      undefined,
      tlsHint && !this.opts.insecure
        ? "the registry may speak plain http; pass --insecure if you trust this network"
        : "check the registry address and that it is running",
    );
  }

  private async statusError(req: RequestInit2, res: Response): Promise<RegistryError> {
    const text = await res.text().catch(() => "");
    let code: string | undefined;
    let detail: string;
    try {
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = body.errors?.[0];
      code = first?.code;
      detail = first ? `${first.code ?? ""}${first.message ? `: ${first.message}` : ""}` : "";
    } catch {
      detail = text.slice(0, 200).trim();
    }
    const hint =
      res.status === 403 || code === "DENIED"
        ? `your login for ${this.host} lacks the rights for this repository`
        : code === "DIGEST_INVALID"
          ? "the registry received bytes that do not match the digest; something between here and the registry altered the upload"
          : res.status >= 500
            ? `the registry failed after ${this.retries} retries; try again later`
            : "check the image reference and the registry's logs";
    return new RegistryError(
      `${req.what}: HTTP ${res.status}${detail ? ` (${detail})` : ""}`,
      res.status,
      code,
      hint,
    );
  }
}

function isTlsMismatch(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return /EPROTO|wrong version number|SSL routines/i.test(`${cause?.code ?? ""} ${cause?.message ?? ""}`);
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(" ");
}
