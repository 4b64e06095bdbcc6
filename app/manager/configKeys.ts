/**
 * Names of the manager's environment variables. Kept free of imports so the `manager` stack can
 * name them without loading zod into every synth (app/manager/config.ts parses them).
 */
export const MANAGER_ENV = {
  issuer: "HEALTHMATE_ISSUER",
  jwksUrl: "HEALTHMATE_JWKS_URL",
  clientIds: "HEALTHMATE_CLIENT_IDS",
  tables: "HEALTHMATE_TABLES",
  publicBaseUrl: "HEALTHMATE_PUBLIC_BASE_URL",
} as const;
