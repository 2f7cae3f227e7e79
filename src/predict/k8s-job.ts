/**
 * A Kubernetes Indexed Job that runs `mlpack predict` as N shards: each pod gets its index in
 * JOB_COMPLETION_INDEX and processes `--shard $(JOB_COMPLETION_INDEX)/N` (Kubernetes expands `$(VAR)` in
 * args from the container's environment). Pods run with --resume, so a retried pod continues from its
 * last complete part. Validated against the Kubernetes schema (kubernetes-models) before it is written.
 */
import { Job } from "kubernetes-models/batch/v1/Job";
import YAML from "yaml";
import { UserError } from "../errors.js";

export interface PredictJobSpec {
  /** metadata.name: a DNS label. */
  name: string;
  image: string;
  /** Shards (completions); each pod processes one. */
  shards: number;
  /** Pods at once (default: all shards). */
  parallelism?: number;
  /** `mlpack predict` arguments without --shard and --resume: model, --input, --output, ... as the pod sees them. */
  predictArgs: string[];
  /** How the image runs mlpack (default: the image `mlpack build` makes, node /app/bin/mlpack.js). */
  command?: string[];
  namespace?: string;
  /** Retries per shard before the Job fails. */
  backoffLimitPerIndex?: number;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export const DEFAULT_COMMAND = ["node", "/app/bin/mlpack.js"];

/** The Job as a plain object (apiVersion batch/v1), checked against the Kubernetes schema. */
export function makePredictJob(spec: PredictJobSpec): Record<string, unknown> {
  // The schema leaves names free-form; the API server wants a DNS label (pods add a suffix, hence 63).
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(spec.name))
    throw new UserError(`the Kubernetes Job name "${spec.name}" is not valid: it must be a DNS label`, {
      hint: "use lowercase letters, digits and '-', at most 63 characters, e.g. --job-name mlp-predict",
    });
  for (const [what, n] of [
    ["shards", spec.shards],
    ["parallelism", spec.parallelism ?? 1],
  ] as const)
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(
        `the Kubernetes Job for "${spec.name}" is not valid: ${what} must be a positive integer`,
      );
  const job = new Job({
    metadata: {
      name: spec.name,
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
      labels: { "app.kubernetes.io/name": spec.name, "app.kubernetes.io/managed-by": "mlpack" },
    },
    spec: {
      completionMode: "Indexed",
      completions: spec.shards,
      parallelism: Math.min(spec.parallelism ?? spec.shards, spec.shards),
      backoffLimitPerIndex: spec.backoffLimitPerIndex ?? 3,
      template: {
        metadata: { labels: { "app.kubernetes.io/name": spec.name } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "predict",
              image: spec.image,
              command: spec.command ?? DEFAULT_COMMAND,
              args: [
                "predict",
                ...spec.predictArgs,
                "--shard",
                `$(JOB_COMPLETION_INDEX)/${spec.shards}`,
                "--resume",
              ],
              ...(spec.resources ? { resources: spec.resources } : {}),
            },
          ],
        },
      },
    },
  });
  try {
    job.validate();
  } catch (e) {
    throw new UserError(`the Kubernetes Job for "${spec.name}" is not valid: ${(e as Error).message}`, {
      hint: "the Job name must be a DNS label (lowercase letters, digits, '-'); shards and parallelism positive",
    });
  }
  return job.toJSON() as Record<string, unknown>;
}

export function renderJobYaml(job: Record<string, unknown>): string {
  return YAML.stringify(job);
}
