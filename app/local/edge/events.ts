/**
 * The CloudFront Functions event shapes (event structure version 1.0) that the router files in
 * modules/release/router/ read and return: just the fields the local edge fills and reads.
 * Header names are lower case; cookies are split out of the `cookie` header by name.
 * (`@types/aws-cloudfront-function` describes the same shapes; it is not a dependency.)
 */
export interface CfValue {
  value: string;
  /** Present when the name occurs more than once; holds every occurrence (the first is `value`). */
  multiValue?: { value: string }[];
}

export interface CfCookie {
  value: string;
  /** Response cookies only: `Path=/; Max-Age=…; Secure; …`. */
  attributes?: string;
  multiValue?: { value: string; attributes?: string }[];
}

export type CfHeaders = Record<string, CfValue>;

export interface CfRequest {
  method: string;
  /** The path, as received (percent-encoded); the router may rewrite it. */
  uri: string;
  querystring: Record<string, CfValue>;
  headers: CfHeaders;
  cookies: Record<string, CfCookie>;
}

export interface CfResponse {
  statusCode: number;
  statusDescription?: string;
  headers: CfHeaders;
  cookies: Record<string, CfCookie>;
  /** Only on responses a viewer-request function generates. */
  body?: string | { data: string; encoding: "text" | "base64" };
}

export interface CfContext {
  distributionDomainName: string;
  distributionId: string;
  eventType: "viewer-request" | "viewer-response";
  requestId: string;
}

export interface ViewerRequestEvent {
  version: "1.0";
  context: CfContext;
  viewer: { ip: string };
  request: CfRequest;
}

export interface ViewerResponseEvent extends ViewerRequestEvent {
  response: CfResponse;
}

/** A viewer-request function returns the (modified) request, or a response that ends the request. */
export function isResponse(result: CfRequest | CfResponse): result is CfResponse {
  return typeof (result as CfResponse).statusCode === "number";
}
