/**
 * OAuth scopes of the Healthmate resource server (Cognito: resource server `healthmate`).
 * One definition for the Cognito stack, the local OpenID provider and every verifier.
 */
export const RESOURCE_SERVER_ID = "healthmate";

export const Scope = {
  HealthRead: `${RESOURCE_SERVER_ID}/health.read`,
  HealthWrite: `${RESOURCE_SERVER_ID}/health.write`,
  Coach: `${RESOURCE_SERVER_ID}/coach`,
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  [Scope.HealthRead]: "Read your health data",
  [Scope.HealthWrite]: "Record and change your health data",
  [Scope.Coach]: "Talk to your health coach",
};

export const ALL_SCOPES: readonly Scope[] = [Scope.HealthRead, Scope.HealthWrite, Scope.Coach];
