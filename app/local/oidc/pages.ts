/**
 * HTML of the local provider's sign-in pages. Plain server-rendered forms (no script), so they
 * work in any browser and in the scripted flow of `obtainAccessToken`.
 */
export interface FormPageProps {
  readonly uid: string;
  readonly clientName: string;
  readonly csrfToken: string;
  readonly username?: string;
  readonly error?: string;
}

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  // No script, no framing (clickjacking). No form-action: browsers apply it to the redirect
  // chain after the POST, which ends at the client's own origin.
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function loginPage(props: FormPageProps): string {
  const uid = encodeURIComponent(props.uid);
  return layout(
    "Sign in",
    `<h1>Sign in to Healthmate</h1>
    <p class="client">to continue to <strong>${escapeHtml(props.clientName)}</strong></p>
    ${errorBlock(props.error)}
    <form id="login-form" method="post" action="/interaction/${uid}/login" autocomplete="on">
      <input type="hidden" name="csrf" value="${escapeHtml(props.csrfToken)}">
      <label for="username">Username</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required value="${escapeHtml(props.username ?? "")}">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
    </form>
    <p>No account yet? <a id="signup-link" href="/interaction/${uid}/signup">Create an account</a></p>
    ${abortForm(uid, props.csrfToken)}`,
  );
}

export function signUpPage(props: FormPageProps): string {
  const uid = encodeURIComponent(props.uid);
  return layout(
    "Create an account",
    `<h1>Create a Healthmate account</h1>
    <p class="client">to continue to <strong>${escapeHtml(props.clientName)}</strong></p>
    ${errorBlock(props.error)}
    <form id="signup-form" method="post" action="/interaction/${uid}/signup" autocomplete="on">
      <input type="hidden" name="csrf" value="${escapeHtml(props.csrfToken)}">
      <label for="username">Username</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required pattern="[A-Za-z0-9][A-Za-z0-9._@+\\-]{0,63}" value="${escapeHtml(props.username ?? "")}">
      <label for="password">Password (at least 8 characters)</label>
      <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8">
      <button type="submit">Create account and sign in</button>
    </form>
    <p>Have an account? <a id="login-link" href="/interaction/${uid}">Sign in</a></p>
    ${abortForm(uid, props.csrfToken)}`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>${errorBlock(message)}<p>Start the sign-in again from the application.</p>`);
}

/** RP-initiated logout: `form` is the provider's hidden form (id `op.logoutForm`, with its xsrf token). */
export function logoutPage(form: string): string {
  return layout(
    "Sign out",
    `<h1>Sign out of Healthmate?</h1>
    ${form}
    <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
    <button type="submit" form="op.logoutForm" class="link">No, stay signed in</button>`,
  );
}

export function signedOutPage(): string {
  return layout("Signed out", "<h1>You are signed out</h1><p>You can close this page.</p>");
}

function errorBlock(error: string | undefined): string {
  return error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : "";
}

function abortForm(uid: string, csrfToken: string): string {
  return `<form id="abort-form" method="post" action="/interaction/${uid}/abort">
      <input type="hidden" name="csrf" value="${escapeHtml(csrfToken)}">
      <button type="submit" class="link">Cancel</button>
    </form>`;
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · Healthmate (local)</title>
  <style>
    body{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;padding:40px 16px}
    main{max-width:340px;margin:0 auto;background:#fff;padding:24px 28px;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
    h1{font-size:1.3em;margin:0 0 4px}.client{color:#555;margin:0 0 16px}
    label{display:block;margin:12px 0 4px;font-size:.9em}
    input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:1em}
    button{margin-top:16px;width:100%;padding:10px;font-size:1em;background:#1f6feb;color:#fff;border:0;border-radius:4px;cursor:pointer}
    button.link{background:none;color:#555;width:auto;padding:0;margin-top:8px;text-decoration:underline}
    .error{color:#b00020;background:#fdecee;padding:8px;border-radius:4px}
    footer{text-align:center;color:#888;font-size:.8em;margin-top:16px}
  </style>
</head>
<body>
  <main>
    ${body}
  </main>
  <footer>Local development sign-in — accounts live in this machine's data directory.</footer>
</body>
</html>
`;
}
