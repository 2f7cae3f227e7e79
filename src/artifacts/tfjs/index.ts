export { buildTfjsBundle, bundledTfjs, type TfjsBundleOptions, type TfjsBundleReport } from "./bundle.js";
