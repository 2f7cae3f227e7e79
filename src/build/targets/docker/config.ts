/** The `targets.docker` section: an image running the model server. */
export interface DockerTargetConfig {
  /** Base image: a registry reference, an OCI layout directory or a docker-archive tarball. */
  base?: string;
  /** Image reference to tag (and push), e.g. registry.example.com/team/model:1. */
  tag?: string;
  /** Platforms to build. Default ["linux/amd64"]. */
  platforms?: ("linux/amd64" | "linux/arm64")[];
  /** Push to the registry in `tag`. */
  push?: boolean;
  /** Allow plain-http registries. */
  insecure?: boolean;
  /** Build FROM scratch with the node binary and its shared libraries. */
  fromScratch?: boolean;
  /** Output form. Default: oci (an OCI image layout directory). */
  format?: "oci" | "oci-archive" | "docker-archive";
}
