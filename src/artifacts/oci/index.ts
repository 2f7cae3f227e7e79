/** Docker/OCI image target: build contexts, daemonless and daemon builds, push. */
export {
  buildImage,
  defaultCacheDir,
  DEFAULT_BASE,
  type BuildImageOptions,
  type BuildImageResult,
} from "./build.js";
export {
  writeBuildContext,
  defaultAppRoot,
  type BuildContext,
  type BuildContextOptions,
  type ModelInfo,
} from "./prepare.js";
export { daemonAvailable } from "./daemon.js";
export { pushImage, type PushOptions, type PushReport } from "./push.js";
export type { PlatformImage, LayerReport } from "./build-layers.js";
export type { ImageFormat } from "./archive.js";
export { OciLayout, MEDIA, type Descriptor, type ImageIndex, type ImageManifest } from "./layout.js";
export { planDockerfile, type DockerfilePlan } from "./dockerfile.js";
