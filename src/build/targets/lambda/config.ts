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
  /**
   * Also write a deployment template beside the zip. "sam": an AWS SAM template.yaml (function,
   * Function URL, AutoPublishAlias, a CodeDeploy canary or linear rollout rolled back by alarms on the
   * function's errors); deploy it with `sam deploy --guided`.
   */
  template?: "sam";
  /** Settings of the SAM template (with template: sam). */
  sam?: LambdaSamConfig;
}

/** How CodeDeploy shifts traffic to a new version of the function (SAM DeploymentPreference.Type). */
export type LambdaDeploymentType =
  | "Canary10Percent5Minutes"
  | "Canary10Percent10Minutes"
  | "Canary10Percent15Minutes"
  | "Canary10Percent30Minutes"
  | "Linear10PercentEvery1Minute"
  | "Linear10PercentEvery2Minutes"
  | "Linear10PercentEvery3Minutes"
  | "Linear10PercentEvery10Minutes"
  | "AllAtOnce";

export interface LambdaSamConfig {
  /** Traffic shifting to a new version. Default Canary10Percent5Minutes. */
  deployment?: LambdaDeploymentType;
  /**
   * Alias that AutoPublishAlias moves and the Function URL serves. Default "live".
   * @pattern ^[A-Za-z][A-Za-z0-9_-]{0,63}$
   */
  alias?: string;
  /**
   * Errors per minute (sum) that trip an alarm and roll the deployment back. Default 1.
   * @minimum 1
   */
  errorThreshold?: number;
  /**
   * Function timeout in seconds. Default 30.
   * @minimum 1
   * @maximum 900
   */
  timeout?: number;
  /** Who may call the Function URL: AWS_IAM (signed requests, default) or NONE (public). */
  functionUrlAuth?: "AWS_IAM" | "NONE";
}
