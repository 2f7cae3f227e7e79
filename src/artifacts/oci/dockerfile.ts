/**
 * The subset of Dockerfile syntax the docker template uses (ARG, FROM, COPY, WORKDIR, ENV, EXPOSE,
 * USER, LABEL, ENTRYPOINT, CMD; no RUN). The daemonless builder executes the same rendered
 * Dockerfile a `docker build` of the context would, so both paths produce the same file system.
 */

export interface CopyStep {
  src: string;
  dest: string;
  line: number;
  /** The instruction as written (for the image history). */
  text: string;
}

export interface DockerfilePlan {
  from: string;
  copies: CopyStep[];
  workdir?: string;
  env: [string, string][];
  expose: string[];
  user?: string;
  labels: [string, string][];
  entrypoint?: string[];
  cmd?: string[];
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Joins continuation lines and drops comments and blank lines. */
export function splitInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, "");
      i++;
      if (/^\s*#/.test(lines[i])) continue;
      line += " " + lines[i].trim();
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${line}"`);
    out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 });
  }
  return out;
}

/** Splits `a "b c" d='e'` into words, honouring quotes; key="v" stays one word without quotes. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) words.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new Error(`unterminated quote in "${s}"`);
  if (has || cur) words.push(cur);
  return words;
}

function expand(s: string, vars: Map<string, string>, line: number): string {
  return s.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, a?: string, b?: string) => {
      const k = (a ?? b)!;
      const v = vars.get(k);
      if (v === undefined) throw new Error(`Dockerfile line ${line}: $${k} is not set (declare it with ARG)`);
      return v;
    },
  );
}

function jsonArray(args: string, line: number): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const v: unknown = JSON.parse(args);
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    throw new Error(`Dockerfile line ${line}: expected a JSON array of strings`);
  return v as string[];
}

/** Parses and evaluates the Dockerfile with the given build args (they override ARG defaults). */
export function planDockerfile(text: string, buildArgs: Record<string, string> = {}): DockerfilePlan {
  const vars = new Map<string, string>();
  const plan: DockerfilePlan = { from: "", copies: [], env: [], expose: [], labels: [] };
  for (const ins of splitInstructions(text)) {
    const { keyword, args, line } = ins;
    const where = `Dockerfile line ${line}`;
    switch (keyword) {
      case "ARG": {
        const [name, ...def] = args.split("=");
        const value = buildArgs[name] ?? (def.length ? (splitWords(def.join("="))[0] ?? "") : undefined);
        if (value !== undefined) vars.set(name, expand(value, vars, line));
        break;
      }
      case "FROM":
        if (plan.from)
          throw new Error(`${where}: multi-stage builds are not supported by the daemonless builder`);
        plan.from = expand(splitWords(args)[0] ?? "", vars, line);
        break;
      case "COPY": {
        const words = (jsonArray(args, line) ?? splitWords(args)).map((w) => expand(w, vars, line));
        if (words.some((w) => w.startsWith("--"))) throw new Error(`${where}: COPY flags are not supported`);
        if (words.length !== 2) throw new Error(`${where}: COPY takes one source and one destination here`);
        plan.copies.push({ src: words[0], dest: words[1], line, text: `COPY ${words.join(" ")}` });
        break;
      }
      case "WORKDIR":
        plan.workdir = expand(args, vars, line);
        break;
      case "ENV": {
        const words = splitWords(args).map((w) => expand(w, vars, line));
        if (words.length >= 1 && !words[0].includes("=")) plan.env.push([words[0], words.slice(1).join(" ")]);
        else for (const w of words) plan.env.push([w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]);
        break;
      }
      case "EXPOSE":
        for (const p of splitWords(args)) plan.expose.push(p.includes("/") ? p : `${p}/tcp`);
        break;
      case "USER":
        plan.user = expand(args, vars, line);
        break;
      case "LABEL":
        for (const w of splitWords(args)) {
          const eq = w.indexOf("=");
          if (eq <= 0) throw new Error(`${where}: LABEL expects key=value, got "${w}"`);
          plan.labels.push([w.slice(0, eq), w.slice(eq + 1)]);
        }
        break;
      case "ENTRYPOINT":
      case "CMD": {
        const argv = jsonArray(args, line);
        if (!argv) throw new Error(`${where}: ${keyword} must use the JSON (exec) form`);
        if (keyword === "ENTRYPOINT") {
          plan.entrypoint = argv;
          plan.cmd = undefined; // as docker does: ENTRYPOINT resets an inherited CMD
        } else plan.cmd = argv;
        break;
      }
      default:
        throw new Error(
          `${where}: ${keyword} is not supported by the daemonless builder (no RUN: nothing executes)`,
        );
    }
  }
  if (!plan.from) throw new Error("Dockerfile has no FROM");
  return plan;
}
