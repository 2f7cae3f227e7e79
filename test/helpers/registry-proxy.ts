/**
 * A loopback HTTP proxy in front of a test registry: it records every request (so tests count what
 * a push really sent), can fail chosen requests (transient 5xx mid-upload), and can demand bearer
 * tokens issued by a tiny token server (docker-registry only does token auth with an external token
 * service, so this stands in for one; the client code under test is the real one).
 */
import http from "node:http";
import type net from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  status: number;
  authorization?: string;
}

/** Return a status to answer it here instead of forwarding; undefined forwards it. */
export type Intercept = (req: http.IncomingMessage, index: number) => number | undefined;

export interface RegistryProxy {
  host: string;
  seen: SeenRequest[];
  intercept?: Intercept;
  close(): Promise<void>;
}

export interface BearerOptions {
  /** Basic credentials the token server accepts. */
  user: string;
  password: string;
  service: string;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface TokenServer {
  realm: string;
  /** Every token request: its query's scopes and whether its basic credentials were right. */
  requests: { scopes: string[]; service: string | null; authorized: boolean }[];
  issued: Set<string>;
  close(): Promise<void>;
}

/** Issues a random token for each request that carries the right basic credentials. */
export async function startTokenServer(opts: BearerOptions): Promise<TokenServer> {
  const issued = new Set<string>();
  const requests: TokenServer["requests"] = [];
  const want = "Basic " + Buffer.from(`${opts.user}:${opts.password}`).toString("base64");
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const authorized = req.headers.authorization === want;
    requests.push({
      scopes: url.searchParams.getAll("scope"),
      service: url.searchParams.get("service"),
      authorized,
    });
    if (!authorized || url.searchParams.get("service") !== opts.service) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"details":"bad credentials"}');
      return;
    }
    const token = `tok-${Math.random().toString(36).slice(2)}`;
    issued.add(token);
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token, expires_in: 300 }));
  });
  const port = await listen(server);
  return { realm: `http://127.0.0.1:${port}/token`, requests, issued, close: () => close(server) };
}

export async function startProxy(
  target: string,
  opts: {
    intercept?: Intercept;
    bearer?: { token: TokenServer; service: string };
    /** Edits the registry's response headers before they are passed on. */
    rewriteHeaders?: (req: http.IncomingMessage, headers: http.IncomingHttpHeaders) => void;
    /** Answers with a 307 redirect to the returned URL instead of forwarding. */
    redirect?: (req: http.IncomingMessage) => string | undefined;
  } = {},
): Promise<RegistryProxy> {
  const seen: SeenRequest[] = [];
  const proxy: RegistryProxy = { host: "", seen, intercept: opts.intercept, close: async () => {} };
  const server = http.createServer((req, res) => {
    const index = seen.length;
    const record: SeenRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      status: 0,
      authorization: req.headers.authorization,
    };
    seen.push(record);
    if (opts.bearer) {
      const auth = req.headers.authorization ?? "";
      const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
      if (!opts.bearer.token.issued.has(token)) {
        record.status = 401;
        req.resume();
        const challenge = `Bearer realm="${opts.bearer.token.realm}",service="${opts.bearer.service}"`;
        res.writeHead(401, { "www-authenticate": challenge, "content-type": "application/json" });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
    }
    const to = opts.redirect?.(req);
    if (to) {
      record.status = 307;
      req.resume();
      req.on("end", () => res.writeHead(307, { location: to }).end());
      return;
    }
    const fail = proxy.intercept?.(req, index);
    if (fail !== undefined) {
      record.status = fail;
      req.resume();
      req.on("end", () => res.writeHead(fail, { "content-type": "text/plain" }).end("injected failure\n"));
      return;
    }
    // Forward with the Host header unchanged, so the registry's upload Locations point at the proxy.
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: Number(target.split(":")[1]),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        record.status = up.statusCode ?? 0;
        const headers = { ...up.headers };
        opts.rewriteHeaders?.(req, headers);
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
  });
  const port = await listen(server);
  proxy.host = `127.0.0.1:${port}`;
  proxy.close = () => close(server);
  return proxy;
}
