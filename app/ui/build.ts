import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { versionSchema } from "../../release/state";

/**
 * The UI build: a static folder that the edge serves from `releases/<version>/` (S3 on AWS,
 * `<HEALTHMATE_HOME>/releases/<version>/ui/` locally).
 *
 * PLACEHOLDER: this small landing page stands in for the React app, which replaces this build
 * in a later issue. It is honest about what it is: it says "Healthmate", the version it was
 * built as (stamped into a meta tag) and the colour that served it (the edge's
 * `x-healthmate-colour` header), so a canary can be watched in a browser.
 *
 * Asset URLs are absolute (`/assets/…`): the edge rewrites every path into the visitor's
 * release folder, so a page and its assets always come from the same version.
 */
export interface UiBuildOptions {
  /** Folder to write into (created if needed; existing files with the same names are replaced). */
  readonly outDir: string;
  /** The release version stamped into the page (release/state.ts versionSchema). */
  readonly version: string;
}

export interface UiBuild {
  readonly outDir: string;
  readonly version: string;
  /** Bytes per written file, by path relative to outDir. */
  readonly files: Readonly<Record<string, number>>;
}

/** The meta tag that carries the build's version. */
export const VERSION_META = "healthmate-version";
export const UI_ENTRY = "index.html";
export const UI_HEALTH_FILE = "healthz.json";

export async function buildUi(options: UiBuildOptions): Promise<UiBuild> {
  const version = versionSchema.parse(options.version);
  const files: Record<string, string> = {
    [UI_ENTRY]: indexHtml(version),
    "assets/app.css": APP_CSS,
    "assets/app.js": APP_JS,
    [UI_HEALTH_FILE]: `${JSON.stringify({ status: "ok", service: "ui", version })}\n`,
  };
  const sizes: Record<string, number> = {};
  await mkdir(join(options.outDir, "assets"), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(options.outDir, name), content);
    sizes[name] = Buffer.byteLength(content);
  }
  return { outDir: options.outDir, version, files: sizes };
}

function indexHtml(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="${VERSION_META}" content="${version}">
<title>Healthmate</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body>
<main>
<h1>Healthmate</h1>
<p>Your AI health coach. The app itself arrives in a later release; this page shows which release served you.</p>
<dl>
<dt>Version</dt><dd id="version">${version}</dd>
<dt>Colour</dt><dd id="colour">…</dd>
<dt>Cohort</dt><dd id="cohort">…</dd>
</dl>
</main>
</body>
</html>
`;
}

const APP_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; display: grid; place-items: center; min-height: 100vh; }
main { max-width: 32rem; padding: 2rem; }
h1 { margin: 0 0 .5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; font-family: ui-monospace, monospace; }
[data-colour="blue"] { color: #1f6feb; }
[data-colour="green"] { color: #1a7f37; }
`;

// Reads the version from the meta tag, the colour from the edge's header on /healthz.json (same
// cookie, so same colour as this page) and the cohort from the cookie.
const APP_JS = `(function () {
  var meta = document.querySelector('meta[name="${VERSION_META}"]');
  document.getElementById("version").textContent = meta ? meta.content : "unknown";
  var cohort = /(?:^|; )hm_cohort=(\\d+)/.exec(document.cookie);
  document.getElementById("cohort").textContent = cohort ? cohort[1] : "not assigned";
  fetch("/${UI_HEALTH_FILE}", { cache: "no-store" }).then(function (response) {
    var colour = response.headers.get("x-healthmate-colour") || "unknown";
    var element = document.getElementById("colour");
    element.textContent = colour;
    element.setAttribute("data-colour", colour);
  }).catch(function () {
    document.getElementById("colour").textContent = "unknown";
  });
})();
`;
