import { CognitoResourceServer } from "@cdktf/provider-aws/lib/cognito-resource-server";
import { CognitoUserPool } from "@cdktf/provider-aws/lib/cognito-user-pool";
import { CognitoUserPoolClient } from "@cdktf/provider-aws/lib/cognito-user-pool-client";
import { CognitoUserPoolDomain } from "@cdktf/provider-aws/lib/cognito-user-pool-domain";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { ALL_SCOPES, RESOURCE_SERVER_ID, SCOPE_DESCRIPTIONS } from "../app/common/auth/scopes";
import type { AwsAccount } from "./account";
import { isProtectedEnvironment, physicalName, type Environment } from "./config";

/** OpenID scopes the UI client may request besides the resource server's. */
export const OPENID_SCOPES: readonly string[] = ["openid", "email", "profile"];

/** What other stacks need of the identity: typed references, never copied ids. */
export interface IUserPoolIdentity {
  readonly userPoolId: string;
  /** The UI's public app client. */
  readonly clientId: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuerUrl: string;
  readonly jwksUrl: string;
  /** Hosted-UI host, `<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainName: string;
}

export interface HealthmateAuthProps {
  readonly environment: Environment;
  readonly account: AwsAccount;
  /** OAuth redirect URLs of the UI (https, or http on localhost). */
  readonly callbackUrls: readonly string[];
  readonly logoutUrls: readonly string[];
  /**
   * Suffix of the hosted-UI domain prefix `healthmate-<env>-<suffix>`; domain prefixes are
   * global per region, so it must be unique.
   * @default - the AWS account id
   */
  readonly domainSuffix?: string;
  /**
   * Refuse deletion of the user pool.
   * @default - true in stage and prod, false in local and dev
   */
  readonly deletionProtection?: boolean;
  /**
   * Let people sign themselves up on the hosted UI.
   * @default false - an administrator creates users (README "Deploying to AWS")
   */
  readonly selfSignUp?: boolean;
  /**
   * Minimum password length, 12-99 (every character class is always required).
   * @default 12
   */
  readonly minimumPasswordLength?: number;
  /**
   * Access and ID token lifetime in minutes, 5-1440.
   * @default 60
   */
  readonly tokenValidityMinutes?: number;
  /**
   * Refresh token lifetime in days, 1-3650.
   * @default 30
   */
  readonly refreshTokenValidityDays?: number;
}

/**
 * Identity for Healthmate (ARCHITECTURE §2): a Cognito user pool with a strong password policy,
 * optional TOTP MFA and verified e-mail; the `healthmate` resource server with the scopes every
 * verifier checks; a public app client for the UI (authorization code, no secret; the UI sends
 * PKCE) and the hosted-UI domain.
 */
export class HealthmateAuth extends Construct implements IUserPoolIdentity {
  readonly userPool: CognitoUserPool;
  readonly client: CognitoUserPoolClient;
  readonly resourceServer: CognitoResourceServer;
  readonly domain: CognitoUserPoolDomain;
  readonly userPoolId: string;
  readonly clientId: string;
  /** `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of every token. */
  readonly issuerUrl: string;
  readonly jwksUrl: string;
  /** Hosted-UI host, `<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: HealthmateAuthProps) {
    super(scope, id);
    const minimumLength = props.minimumPasswordLength ?? 12;
    const tokenValidityMinutes = props.tokenValidityMinutes ?? 60;
    const refreshTokenValidityDays = props.refreshTokenValidityDays ?? 30;
    this.validateLimits(minimumLength, tokenValidityMinutes, refreshTokenValidityDays);
    this.validateUrls("callbackUrls", props.callbackUrls);
    this.validateUrls("logoutUrls", props.logoutUrls);
    const deletionProtection = props.deletionProtection ?? isProtectedEnvironment(props.environment);

    this.userPool = new CognitoUserPool(this, "pool", {
      name: `healthmate-${props.environment}`,
      usernameAttributes: ["email"],
      usernameConfiguration: { caseSensitive: false },
      autoVerifiedAttributes: ["email"],
      passwordPolicy: {
        minimumLength,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: true,
        temporaryPasswordValidityDays: 3,
      },
      mfaConfiguration: "OPTIONAL",
      softwareTokenMfaConfiguration: { enabled: true },
      accountRecoverySetting: { recoveryMechanism: [{ name: "verified_email", priority: 1 }] },
      adminCreateUserConfig: { allowAdminCreateUserOnly: !props.selfSignUp },
      verificationMessageTemplate: { defaultEmailOption: "CONFIRM_WITH_CODE" },
      userAttributeUpdateSettings: { attributesRequireVerificationBeforeUpdate: ["email"] },
      // Email is the sign-in name; constraints repeat AWS's defaults to avoid a perpetual diff.
      schema: [{ name: "email", attributeDataType: "String", required: true, mutable: true, stringAttributeConstraints: { minLength: "0", maxLength: "2048" } }],
      deletionProtection: deletionProtection ? "ACTIVE" : "INACTIVE",
    });
    this.userPoolId = this.userPool.id;

    this.resourceServer = new CognitoResourceServer(this, "resource-server", {
      userPoolId: this.userPool.id,
      identifier: RESOURCE_SERVER_ID,
      name: "Healthmate",
      scope: ALL_SCOPES.map((fullName) => ({ scopeName: fullName.slice(RESOURCE_SERVER_ID.length + 1), scopeDescription: SCOPE_DESCRIPTIONS[fullName] })),
    });

    this.client = new CognitoUserPoolClient(this, "ui-client", {
      name: physicalName("ui", props.environment),
      userPoolId: this.userPool.id,
      // Public client: a browser app cannot keep a secret; it proves possession with PKCE.
      generateSecret: false,
      allowedOauthFlowsUserPoolClient: true,
      allowedOauthFlows: ["code"],
      allowedOauthScopes: [...OPENID_SCOPES, ...ALL_SCOPES],
      supportedIdentityProviders: ["COGNITO"],
      callbackUrls: [...props.callbackUrls],
      logoutUrls: [...props.logoutUrls],
      explicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      preventUserExistenceErrors: "ENABLED",
      enableTokenRevocation: true,
      accessTokenValidity: tokenValidityMinutes,
      idTokenValidity: tokenValidityMinutes,
      refreshTokenValidity: refreshTokenValidityDays,
      tokenValidityUnits: [{ accessToken: "minutes", idToken: "minutes", refreshToken: "days" }],
      authSessionValidity: 3,
      // The scopes must exist before a client may be allowed them.
      dependsOn: [this.resourceServer],
    });
    this.clientId = this.client.id;

    const suffix = props.domainSuffix ?? props.account.accountId;
    const prefix = `healthmate-${props.environment}-${suffix}`;
    this.validateDomainPrefix(prefix);
    this.domain = new CognitoUserPoolDomain(this, "domain", { domain: prefix, userPoolId: this.userPool.id });
    this.domainName = `${this.domain.domain}.auth.${props.account.region}.amazoncognito.com`;

    this.issuerUrl = `https://${this.userPool.endpoint}`;
    this.jwksUrl = `${this.issuerUrl}/.well-known/jwks.json`;
  }

  private validateLimits(minimumLength: number, tokenValidityMinutes: number, refreshTokenValidityDays: number): void {
    if (!Number.isInteger(minimumLength) || minimumLength < 12 || minimumLength > 99) {
      throw new Error(`HealthmateAuth: minimumPasswordLength must be an integer 12-99, got ${minimumLength}`);
    }
    if (!Number.isInteger(tokenValidityMinutes) || tokenValidityMinutes < 5 || tokenValidityMinutes > 1440) {
      throw new Error(`HealthmateAuth: tokenValidityMinutes must be an integer 5-1440, got ${tokenValidityMinutes}`);
    }
    if (!Number.isInteger(refreshTokenValidityDays) || refreshTokenValidityDays < 1 || refreshTokenValidityDays > 3650) {
      throw new Error(`HealthmateAuth: refreshTokenValidityDays must be an integer 1-3650, got ${refreshTokenValidityDays}`);
    }
  }

  private validateUrls(name: string, urls: readonly string[]): void {
    if (urls.length === 0 || urls.length > 100) throw new Error(`HealthmateAuth: ${name} must list 1-100 URLs, got ${urls.length}`);
  }

  /** Cognito: 1-63 lowercase letters, digits and hyphens; no 'aws', 'amazon' or 'cognito'. */
  private validateDomainPrefix(prefix: string): void {
    if (Token.isUnresolved(prefix)) return; // the account id is known at plan time only
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
      throw new Error(`HealthmateAuth: domain prefix must be 1-63 lowercase letters, digits or inner hyphens without 'aws', 'amazon' or 'cognito', got '${prefix}'`);
    }
  }
}
