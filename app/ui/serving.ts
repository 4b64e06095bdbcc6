import { extname } from "node:path";
import { UI_ENTRY } from "./build";

/**
 * How a UI build's files are served: the same Content-Type and Cache-Control from S3 (uploaded
 * by release:stage on AWS) and from the local edge.
 */

/** Content-Type by extension. */
export const UI_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".woff2": "font/woff2",
};
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export function contentTypeFor(path: string): string {
  return UI_CONTENT_TYPES[extname(path).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}

/**
 * Cache-Control of the uploaded files.
 * - `index.html`: `no-cache`: browsers re-check it on every visit, so a new stable version (or
 *   another colour) is picked up at once.
 * - everything else: a year for CloudFront (`s-maxage`), whose cache key is the rewritten
 *   `releases/<version>/…` path that never changes content; but only 5 minutes for browsers, as
 *   the local edge serves it. Browsers see unversioned URLs (`/assets/app.js`: the edge rewrites
 *   every path into the visitor's folder), so a year-long `immutable` would keep an old
 *   `/assets/app.js` under a new `index.html` after a promote or rollback.
 *   Content-hashed file names (the React build) could be `immutable` for browsers too.
 */
export const CACHE_CONTROL = {
  entry: "no-cache",
  file: "public, max-age=300, s-maxage=31536000",
} as const;

export function cacheControlFor(path: string): string {
  return path === UI_ENTRY ? CACHE_CONTROL.entry : CACHE_CONTROL.file;
}
