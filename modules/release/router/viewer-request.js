/* global require */
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unused-vars -- runtime module system; CloudFront calls handler */
// Healthmate edge router, viewer-request (CloudFront Functions, runtime cloudfront-js-2.0).
// One cohort cookie (0-99) puts the whole visitor on one colour: cohort < canary weight -> the
// candidate (the non-stable colour), else the stable colour. API paths pick that colour's origin;
// every other path is rewritten into that colour's UI release folder. The weight, the stable
// colour and the UI versions come from the KeyValueStore, so a canary, promote or rollback
// changes keys, never this code or the distribution. Names: modules/release/router/contract.ts.
// The local edge runs this same file in a node:vm context (app/local/edge/routerHost.ts).
// Runtime 2.0 only: no fetch, timers, process, for-of, spread, optional chaining or ??.
const cf = require('cloudfront');
const kvs = cf.kvs();

const COHORT_COOKIE = 'hm_cohort';
const H_COHORT = 'x-healthmate-cohort';
const H_NEW_COHORT = 'x-healthmate-new-cohort';
const H_COLOUR = 'x-healthmate-colour';
const H_VERSION = 'x-healthmate-version';
const H_FORWARDED_HOST = 'x-forwarded-host';
const UI_VERSION_KEY = { blue: 'ui_version_blue', green: 'ui_version_green' };
// Path prefix -> service; the origin id is `<service>-<colour>` (contract.ts originId).
const API_PREFIXES = [['/mcp', 'manager'], ['/.well-known/oauth-protected-resource', 'manager'], ['/coach', 'coach']];
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function handler(event) {
  const request = event.request;
  const headers = request.headers;
  // Only this function may set these: a viewer must not choose its cookie or its colour.
  delete headers[H_COHORT];
  delete headers[H_NEW_COHORT];
  delete headers[H_COLOUR];
  delete headers[H_VERSION];

  let cohort = parseCohort(request.cookies ? request.cookies[COHORT_COOKIE] : undefined);
  if (cohort < 0) {
    cohort = Math.floor(Math.random() * 100);
    headers[H_NEW_COHORT] = { value: 'true' };
  }
  headers[H_COHORT] = { value: String(cohort) };

  // A missing key, a bad value or a KVS error falls back to the safe default: stable, weight 0.
  // Sequential awaits: AWS advises against Promise.all in functions (memory quota).
  const stable = parseColour(await read('stable_colour'));
  const weight = parseWeight(await read('canary_weight'));
  let colour = cohort < weight ? otherColour(stable) : stable;

  const service = apiService(request.uri);
  if (service) {
    cf.selectRequestOriginById(`${service}-${colour}`);
    headers[H_COLOUR] = { value: colour };
    // The origin sees its own host (the policy forwards all but Host): name the viewer's, for the
    // URLs the API advertises (OAuth discovery). It trusts this only with the origin secret.
    if (headers.host) headers[H_FORWARDED_HOST] = { value: headers.host.value };
    else delete headers[H_FORWARDED_HOST];
    return request;
  }

  let version = parseVersion(await read(UI_VERSION_KEY[colour]));
  if (!version) {
    // This colour has no UI build (a fresh environment): serve the other one, and say so.
    colour = otherColour(colour);
    version = parseVersion(await read(UI_VERSION_KEY[colour]));
  }
  if (!version) {
    return { statusCode: 503, statusDescription: 'Service Unavailable', headers: { 'cache-control': { value: 'no-store' } }, body: 'No UI release is deployed yet.' };
  }
  headers[H_COLOUR] = { value: colour };
  headers[H_VERSION] = { value: version };
  request.uri = `/releases/${version}${uiFile(request.uri)}`;
  return request;
}

// One KVS value; null when the key is missing (get throws) or the store fails.
async function read(key) {
  try {
    return await kvs.get(key);
  } catch (e) {
    console.log(`kvs ${key}: ${e}`);
    return null;
  }
}

// The cookie's cohort 0-99, or -1 when it is missing or not a plain integer in range.
function parseCohort(cookie) {
  const value = cookie ? cookie.value : '';
  return /^(\d|[1-9]\d)$/.test(value) ? parseInt(value, 10) : -1;
}

function parseColour(value) {
  return value === 'green' ? 'green' : 'blue';
}

function otherColour(colour) {
  return colour === 'blue' ? 'green' : 'blue';
}

function parseWeight(value) {
  const weight = /^\d{1,3}$/.test(value) ? parseInt(value, 10) : 0;
  return weight <= 100 ? weight : 0;
}

// An empty slot is stored as 'none' (modules/release/edge-router.ts EMPTY_SLOT_VALUE).
function parseVersion(value) {
  return typeof value === 'string' && value !== 'none' && VERSION.test(value) ? value : null;
}

function apiService(uri) {
  for (let i = 0; i < API_PREFIXES.length; i++) {
    if (uri.indexOf(API_PREFIXES[i][0]) === 0) return API_PREFIXES[i][1];
  }
  return null;
}

// Files keep their path; `/` and extension-less paths are app routes served by index.html (SPA).
function uiFile(uri) {
  const last = uri.substring(uri.lastIndexOf('/') + 1);
  return last.indexOf('.') < 0 ? '/index.html' : uri;
}
