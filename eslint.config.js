import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "node_modules/**",
      "coverage/**",
      "**/*.generated.ts",
      "tmp/**",
      // Rendered before use ({{placeholders}} in code positions); the output runs in the browser tests.
      "templates/tfjs/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Only the logger and the CLI entry may print (DESIGN.md: "no console.* anywhere else").
      "no-console": "error",
    },
  },
  {
    files: ["scripts/**", "test/**", "bin/**", "**/*.test.ts", "src/log.ts"],
    rules: { "no-console": "off" },
  },
);
