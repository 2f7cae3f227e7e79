/**
 * A client for the OCI distribution API: requests with the Basic or Bearer (token endpoint) flow
 * driven by WWW-Authenticate challenges, and retries with exponential backoff for 5xx, 429 and
 * network failures. fetch and sleep are passed in so tests can drive every path.
 */
import { UserError } from "../../errors.js";
import { silentLogger, type Logger } from "../../log.js";
import { basicHeader, parseChallenges, type CredentialLookup, type Credentials } from "./auth.js";

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

  /** One request, answering at most one auth challenge. */
  private async send(req: RequestInit2): Promise<Response> {
    const url = this.resolve(req.url);
    const go = () =>
      this.fetchImpl(url, {
        method: req.method,
        headers: { ...req.headers, ...this.authHeader(req.scopes) },
        body: req.body as Uint8Array<ArrayBuffer> | undefined,
        redirect: "follow",
      });
    let res = await go();
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers.get("www-authenticate"));
    await res.arrayBuffer().catch(() => undefined);
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
    res = await go();
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
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    for (const s of scopes.length ? scopes : params.scope ? [params.scope] : [])
      url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    let res: Response;
    if (creds?.identityToken) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: creds.identityToken,
        service: params.service ?? "",
        scope: scopes.join(" "),
        client_id: "mlpack",
      });
      res = await this.fetchImpl(params.realm, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
    } else {
      if (creds && (creds.username || creds.password)) headers.authorization = basicHeader(creds);
      res = await this.fetchImpl(url, { headers });
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
