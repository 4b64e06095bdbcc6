/* eslint-disable @typescript-eslint/no-unused-vars -- CloudFront calls handler */
// Healthmate edge router, viewer-response (CloudFront Functions, runtime cloudfront-js-2.0).
// Sets the cohort cookie when viewer-request assigned a new cohort (it runs after the cache, so
// a cached UI file never carries another visitor's cookie) and names the colour and version
// that served the request. Names: modules/release/router/contract.ts.
const COHORT_COOKIE = 'hm_cohort';
const COOKIE_ATTRIBUTES = 'Path=/; Max-Age=31536000; Secure; SameSite=Lax';
const H_COHORT = 'x-healthmate-cohort';
const H_NEW_COHORT = 'x-healthmate-new-cohort';
const H_COLOUR = 'x-healthmate-colour';
const H_VERSION = 'x-healthmate-version';

function handler(event) {
  const request = event.request.headers;
  const response = event.response;
  const cohort = request[H_COHORT];
  if (request[H_NEW_COHORT] && cohort && /^\d{1,2}$/.test(cohort.value)) {
    if (!response.cookies) response.cookies = {};
    response.cookies[COHORT_COOKIE] = { value: cohort.value, attributes: COOKIE_ATTRIBUTES };
  }
  if (request[H_COLOUR]) response.headers[H_COLOUR] = { value: request[H_COLOUR].value };
  // API origins report their own version; UI versions come from viewer-request.
  if (request[H_VERSION] && !response.headers[H_VERSION]) response.headers[H_VERSION] = { value: request[H_VERSION].value };
  return response;
}
