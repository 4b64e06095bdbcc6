import { block, isTrue, resourceRule, type Properties } from "./types";

/** Viewer TLS policies that allow nothing below TLS 1.2 with current ciphers. */
const TLS12_POLICIES = /^TLSv1\.2_20(19|21|25)$|^TLSv1\.3_\d{4}$/;

/**
 * checkov CKV_AWS_174: viewers connect with TLS 1.2 or newer. The default *.cloudfront.net
 * certificate cannot enforce it (CloudFront applies TLSv1 there), so it is a finding.
 */
export const CKV_AWS_174 = resourceRule("CKV_AWS_174", "CloudFront distributions require TLS 1.2 or newer from viewers", "aws_cloudfront_distribution", (distribution) => {
  const certificate = block(distribution.viewer_certificate);
  if (!certificate) return "viewer_certificate is not set; use an ACM certificate with minimum_protocol_version TLSv1.2_2021";
  if (isTrue(certificate.cloudfront_default_certificate)) {
    return "viewer_certificate uses the default *.cloudfront.net certificate, for which CloudFront allows TLSv1; use an ACM certificate with minimum_protocol_version TLSv1.2_2021";
  }
  const version = certificate.minimum_protocol_version;
  return typeof version === "string" && TLS12_POLICIES.test(version) ? undefined : `minimum_protocol_version is ${JSON.stringify(version ?? null)}; set TLSv1.2_2021`;
});

/** checkov CKV_AWS_34: every cache behaviour sends viewers to HTTPS (redirect-to-https or https-only). */
export const CKV_AWS_34 = resourceRule("CKV_AWS_34", "CloudFront behaviours require HTTPS from viewers", "aws_cloudfront_distribution", (distribution) => {
  const behaviours: Properties[] = [block(distribution.default_cache_behavior), ...(Array.isArray(distribution.ordered_cache_behavior) ? distribution.ordered_cache_behavior : [])].filter(
    (behaviour): behaviour is Properties => typeof behaviour === "object" && behaviour !== null,
  );
  const insecure = behaviours.filter((behaviour) => behaviour.viewer_protocol_policy !== "redirect-to-https" && behaviour.viewer_protocol_policy !== "https-only");
  if (insecure.length === 0) return undefined;
  const names = insecure.map((behaviour) => (typeof behaviour.path_pattern === "string" ? behaviour.path_pattern : "default")).join(", ");
  return `viewer_protocol_policy allows plain HTTP on ${names}; set redirect-to-https`;
});
