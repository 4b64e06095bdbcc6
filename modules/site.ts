import { CloudfrontDistribution, type CloudfrontDistributionOrderedCacheBehavior, type CloudfrontDistributionOrigin } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import type { AwsAccount } from "./account";
import { isProtectedEnvironment, physicalName, type Environment, type UiDomainConfig } from "./config";
import { Effect, PolicyDocument, PrincipalType } from "./policy";
import type { IColourEndpoints } from "./release/aliases";
import type { EdgeRouter } from "./release/edge-router";
import { API_PATH_PREFIXES, COLOURS, Colour, Header, originId, UI_ORIGIN_ID, uiReleasePrefix } from "./release/router/contract";

/** AWS-managed CloudFront policies (ids are fixed by AWS, the same in every account). */
export const ManagedCachePolicy = {
  /** Long TTLs, compression, no cookies/headers/query in the key: immutable release folders. */
  CACHING_OPTIMIZED: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  /** Nothing cached: API calls. */
  CACHING_DISABLED: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
} as const;
export const ManagedOriginRequestPolicy = {
  /** Every viewer header, cookie and query string except Host (a function URL answers only to its own Host). */
  ALL_VIEWER_EXCEPT_HOST_HEADER: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
} as const;

/** Which edge locations serve the distribution (cost vs. latency far from North America and Europe). */
export enum PriceClass {
  NORTH_AMERICA_EUROPE = "PriceClass_100",
  PLUS_ASIA_AFRICA = "PriceClass_200",
  ALL = "PriceClass_All",
}

/** The viewer TLS policy used with a custom certificate; the default certificate cannot enforce one. */
export const VIEWER_TLS_POLICY = "TLSv1.2_2021";

const ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];
const READ_METHODS = ["GET", "HEAD"];

/**
 * The ui stack's bucket: `healthmate-ui-<env>-<account>-<region>` (bucket names are global).
 * release:stage on AWS uploads UI builds to it by this same rule.
 */
export function uiBucketName(environment: Environment | `${Environment}`, accountId: string, region: string): string {
  return `${physicalName("ui", environment as Environment)}-${accountId}-${region}`;
}

export interface UiReleaseBucketProps {
  readonly environment: Environment;
  readonly account: AwsAccount;
  /**
   * Let `cdktf destroy` delete a bucket that still holds builds.
   * @default - true in local/dev, false in stage/prod
   */
  readonly forceDestroy?: boolean;
  /**
   * Days an overwritten or deleted object version is kept.
   * @default 90
   */
  readonly noncurrentVersionDays?: number;
}

/**
 * The private bucket of immutable UI builds, one folder per version (`releases/<version>/`).
 * Public access blocked, ACLs disabled (bucket owner enforced), versioning on, SSE-S3, and a
 * bucket policy that refuses plain HTTP; readers are added with allowCloudFrontRead.
 */
export class UiReleaseBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly name: string;
  readonly arn: string;
  readonly regionalDomainName: string;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: UiReleaseBucketProps) {
    super(scope, id);
    const noncurrentVersionDays = props.noncurrentVersionDays ?? 90;
    if (!Number.isInteger(noncurrentVersionDays) || noncurrentVersionDays < 1) {
      throw new Error(`UiReleaseBucket: noncurrentVersionDays must be a positive integer, got ${noncurrentVersionDays}`);
    }
    // Bucket names are global: account and region make them unique.
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: uiBucketName(props.environment, props.account.accountId, props.account.region),
      forceDestroy: props.forceDestroy ?? !isProtectedEnvironment(props.environment),
    });
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.regionalDomainName = this.bucket.bucketRegionalDomainName;

    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketVersioningA(this, "versioning", { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      // SSE-S3: CloudFront reads through origin access control without a KMS key policy; the builds are public web assets.
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "old-object-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: noncurrentVersionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });

    this.policy = new PolicyDocument(this, "policy", {
      statements: [
        {
          sid: "DenyInsecureTransport",
          effect: Effect.DENY,
          actions: ["s3:*"],
          resources: [this.arn, `${this.arn}/*`],
          principals: [{ type: PrincipalType.AWS, identifiers: ["*"] }],
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    // After the public access block, so S3 never sees the policy on an unprotected bucket.
    new S3BucketPolicy(this, "bucket-policy", { bucket: this.bucket.id, policy: this.policy.json, dependsOn: [publicAccess] });
  }

  /** Lets one CloudFront distribution (through origin access control) read the release folders. */
  allowCloudFrontRead(distributionArn: string): void {
    this.policy.addStatements({
      sid: "CloudFrontReadsReleases",
      actions: ["s3:GetObject"],
      resources: [`${this.arn}/${uiReleasePrefix("*")}`],
      principals: [{ type: PrincipalType.SERVICE, identifiers: ["cloudfront.amazonaws.com"] }],
      conditions: [{ test: "StringEquals", variable: "AWS:SourceArn", values: [distributionArn] }],
    });
  }
}

export interface ContentSecurityPolicyOptions {
  /**
   * Origins besides 'self' the app may call (fetch/XHR), e.g. the Cognito hosted-UI domain for the token exchange.
   * @default - none
   */
  readonly connectSources?: readonly string[];
}

/** A strict CSP for the single-page app: its own scripts and styles only, no framing, no plugins. */
export function contentSecurityPolicy(options: ContentSecurityPolicyOptions = {}): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...(options.connectSources ?? [])].join(" ")}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "upgrade-insecure-requests",
  ].join("; ");
}

export interface SiteDistributionProps {
  readonly environment: Environment;
  /** The UI builds (S3 origin `ui`, read through origin access control). */
  readonly bucket: UiReleaseBucket;
  /** Runs on every behaviour: cohort, colour, origin selection, cookie. */
  readonly router: EdgeRouter;
  /**
   * API services behind the edge, each with an origin per colour and a `<prefix>*` behaviour
   * (manager: `/mcp*` and `/.well-known/oauth-protected-resource*`). The coach joins here when it
   * exists (its `/coach*` behaviour follows).
   */
  readonly apis: readonly IColourEndpoints[];
  /**
   * Value of the origin-secret header CloudFront adds to API origin requests.
   * @default - no header (only for `local`, where nothing is deployed)
   */
  readonly originSecret?: string;
  /**
   * Content-Security-Policy of every response.
   * @default contentSecurityPolicy()
   */
  readonly contentSecurityPolicy?: string;
  /**
   * Custom domain names and their ACM certificate (us-east-1); TLS 1.2+ is enforced only then.
   * @default - the distribution's *.cloudfront.net name and default certificate
   */
  readonly domain?: UiDomainConfig;
  /**
   * Edge locations that serve the site.
   * @default PriceClass.NORTH_AMERICA_EUROPE
   */
  readonly priceClass?: PriceClass;
  /**
   * Seconds CloudFront waits for an API origin's response; above the functions' timeout so their own error arrives.
   * @default 60
   */
  readonly originReadTimeoutSeconds?: number;
}

/**
 * The one CloudFront distribution of an environment: the UI bucket as origin `ui`, and per API
 * service an origin per colour (the colour aliases' function URLs, with the origin secret). The
 * default behaviour caches the immutable UI release folders; each API path prefix (`/mcp`, the
 * protected-resource metadata, …) is uncached and forwards every viewer header, cookie and query string except Host. The edge router runs on
 * every behaviour, and every response gets the security headers. Nothing here depends on the
 * release state: the router picks the colour per request from the KeyValueStore.
 */
export class SiteDistribution extends Construct {
  readonly distribution: CloudfrontDistribution;
  readonly headersPolicy: CloudfrontResponseHeadersPolicy;
  readonly originAccessControl: CloudfrontOriginAccessControl;
  /** The distribution's own domain, `<id>.cloudfront.net`. */
  readonly domainName: string;
  /** `https://<first custom domain or the cloudfront.net domain>`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SiteDistributionProps) {
    super(scope, id);
    const originReadTimeout = props.originReadTimeoutSeconds ?? 60;
    this.validate(props, originReadTimeout);
    const name = physicalName("ui", props.environment);

    this.originAccessControl = new CloudfrontOriginAccessControl(this, "oac", {
      name,
      description: "CloudFront signs its requests to the UI release bucket",
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });

    this.headersPolicy = new CloudfrontResponseHeadersPolicy(this, "security-headers", {
      name: `${name}-security-headers`,
      comment: "HSTS, nosniff, frame DENY, referrer policy, CSP",
      securityHeadersConfig: {
        strictTransportSecurity: { accessControlMaxAgeSec: 63_072_000, includeSubdomains: true, preload: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        contentSecurityPolicy: { contentSecurityPolicy: props.contentSecurityPolicy ?? contentSecurityPolicy(), override: true },
      },
    });

    const functionAssociation = props.router.functionAssociations.map((association) => ({ ...association }));
    const origins: CloudfrontDistributionOrigin[] = [
      { originId: UI_ORIGIN_ID, domainName: props.bucket.regionalDomainName, originAccessControlId: this.originAccessControl.id },
      ...props.apis.flatMap((api) =>
        COLOURS.map(
          (colour): CloudfrontDistributionOrigin => ({
            originId: originId(api.service, colour),
            // https://<id>.lambda-url.<region>.on.aws/ → <id>.lambda-url.<region>.on.aws
            domainName: Fn.trimsuffix(Fn.trimprefix(api.urls[colour], "https://"), "/"),
            customOriginConfig: { httpPort: 80, httpsPort: 443, originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"], originReadTimeout },
            customHeader: props.originSecret ? [{ name: Header.OriginSecret, value: props.originSecret }] : undefined,
          }),
        ),
      ),
    ];
    const apiBehaviours = props.apis.flatMap((api) =>
      API_PATH_PREFIXES[api.service].map(
        (prefix): CloudfrontDistributionOrderedCacheBehavior => ({
          pathPattern: `${prefix}*`,
          // A fixed target; the viewer-request function selects the visitor's colour origin.
          targetOriginId: originId(api.service, Colour.Blue),
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ALL_METHODS,
          cachedMethods: READ_METHODS,
          cachePolicyId: ManagedCachePolicy.CACHING_DISABLED,
          originRequestPolicyId: ManagedOriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicyId: this.headersPolicy.id,
          compress: false,
          functionAssociation,
        }),
      ),
    );

    this.distribution = new CloudfrontDistribution(this, "distribution", {
      enabled: true,
      comment: `Healthmate ${props.environment}: UI and API edge with the release router`,
      httpVersion: "http2and3",
      isIpv6Enabled: true,
      priceClass: props.priceClass ?? PriceClass.NORTH_AMERICA_EUROPE,
      aliases: props.domain ? [...props.domain.names] : undefined,
      origin: origins,
      defaultCacheBehavior: {
        targetOriginId: UI_ORIGIN_ID,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: READ_METHODS,
        cachedMethods: READ_METHODS,
        cachePolicyId: ManagedCachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicyId: this.headersPolicy.id,
        compress: true,
        functionAssociation,
      },
      orderedCacheBehavior: apiBehaviours,
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: props.domain
        ? { acmCertificateArn: props.domain.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: VIEWER_TLS_POLICY }
        : // The default *.cloudfront.net certificate: CloudFront applies its TLSv1 policy whatever is set here.
          { cloudfrontDefaultCertificate: true },
    });
    this.domainName = this.distribution.domainName;
    this.url = `https://${props.domain?.names[0] ?? this.domainName}`;
    props.bucket.allowCloudFrontRead(this.distribution.arn);
  }

  private validate(props: SiteDistributionProps, originReadTimeout: number): void {
    const services = props.apis.map((api) => api.service);
    const duplicate = services.find((service, index) => services.indexOf(service) !== index);
    if (duplicate) throw new Error(`SiteDistribution: each API service needs one entry in apis, got ${duplicate} twice`);
    if (!Number.isInteger(originReadTimeout) || originReadTimeout < 1 || originReadTimeout > 180) {
      throw new Error(`SiteDistribution: originReadTimeoutSeconds must be an integer 1-180 (above 60 needs a quota increase), got ${originReadTimeout}`);
    }
  }
}
