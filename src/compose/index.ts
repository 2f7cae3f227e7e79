/** Public API of model pipelines (re-exported from the package root). */
export { composeModels, composeToFile, type ComposeRequest, type ComposeReport } from "./compose.js";
export {
  parsePipelineFlag,
  planChain,
  runChain,
  chainMetadata,
  type ChainPlan,
  type ChainModelInfo,
  type ChainTensor,
} from "./chain.js";
