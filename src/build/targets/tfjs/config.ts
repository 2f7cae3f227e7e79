/** The `targets.tfjs` section: a TF.js bundle for browsers. */
export interface TfjsTargetConfig {
  /** Weight compression in the manifest. */
  quantize?: "uint8" | "uint16" | "float16";
  /** Keep NCHW (for models whose inputs are not images). */
  keepLayout?: boolean;
  /** Class labels, one per line, for the demo page's top-k list (relative to the config file). */
  labels?: string;
}
