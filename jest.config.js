// Native ESM jest: several dependencies (jose, oidc-provider, the MCP SDK's deps) are ESM-only.
// @swc/jest strips types only; `tsc --noEmit` is the type-check (see FACTS: ts-jest is 6-10x slower).
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "es6" },
      },
    ],
  },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  testTimeout: 30000,
  maxWorkers: 2,
  setupFiles: ["<rootDir>/test/support/env.cjs"],
  reporters: ["default", "<rootDir>/test/support/summary-reporter.cjs"],
};
