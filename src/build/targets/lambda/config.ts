/** The `targets.lambda` section: an AWS Lambda deployment zip. */
export interface LambdaTargetConfig {
  /** CPU architecture. Default x86_64. */
  arch?: "x86_64" | "arm64";
  /**
   * Function memory in MB (sets intra-op threads). Default 1024.
   * @minimum 128
   * @maximum 10240
   */
  memory?: number;
  /** Lambda runtime. Default nodejs20.x. */
  runtime?: "nodejs20.x" | "nodejs22.x" | "provided.al2023";
}
