/**
 * The calendar page: sign-in (a pasted token, `/#token=<jwt>` or, on the embedded demo tenant,
 * "sign in as"), then the week of the signed-in provider, of a provider an admin chooses, or the
 * bookable week of a client's provider. The token lives in sessionStorage only.
 */
import { ApiError, request } from "./api.js";
import { h, labelled } from "./dom.js";
import { ViewerDocument } from "./generated/graphql.js";
import { formatWhen, browserZone } from "./time.js";
import { WeekView } from "./week.js";
import "./style.css";

const TOKEN_KEY = "sessiongraph.token";
const root = document.getElementById("app")!;
let view: WeekView | undefined;

/** A token in the fragment is taken and the fragment cleared, so it stays out of history and logs. */
function tokenFromFragment(): string | undefined {
  const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? undefined;
  if (token) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

/** The token's own expiry, read (not verified) to word the message: the server decides validity. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: unknown };
    return typeof payload.exp === "number" ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function signIn(token: string): Promise<void> {
  token = token.trim().replace(/^Bearer\s+/i, "");
  if (!token) return showSignIn("Paste a bearer token first.");
  try {
    const { me } = await request(ViewerDocument, {}, token);
    sessionStorage.setItem(TOKEN_KEY, token);
    view?.close();
    root.replaceChildren();
    view = new WeekView(root, token, me, signOut);
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (!(err instanceof ApiError) || err.reason !== "UNAUTHENTICATED")
      return showSignIn(`Signing in failed: ${(err as Error).message}`);
    // The server decides; the token's own expiry only words the most common refusal.
    const expires = expiryOf(token);
    showSignIn(
      expires !== undefined && expires <= Date.now()
        ? `This token expired on ${formatWhen(expires, browserZone)} (${browserZone}). Get a new one and sign in again.`
        : `The server did not accept this token: ${err.message}`,
    );
  }
}

function signOut(message?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  view?.close();
  view = undefined;
  showSignIn(message);
}

function showSignIn(message?: string): void {
  view?.close();
  view = undefined;
  const input = h("textarea", {
    "data-testid": "token-input",
    name: "token",
    rows: "3",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "eyJhbGciOi…",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "sign-in",
      onsubmit: (event) => {
        event.preventDefault();
        void signIn(input.value);
      },
    },
    h("h1", {}, "sessiongraph calendar"),
    h("p", {}, "Sign in with a bearer token (or open this page as /#token=<jwt>)."),
    message ? h("p", { class: "error", role: "alert", "data-testid": "sign-in-error" }, message) : null,
    labelled("Bearer token", input),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  const demo = h("section", { class: "demo", "aria-label": "Demo users" });
  root.replaceChildren(form, demo);
  input.focus();
  void showDemoUsers(demo);
}

/** Only on the embedded demo tenant (where `npm start` prints the same tokens) does the page name its sign-in list. */
async function showDemoUsers(section: HTMLElement): Promise<void> {
  const list = document.querySelector<HTMLMetaElement>('meta[name="demo-sign-in"]')?.content;
  if (!list) return;
  const response = await fetch(list).catch(() => undefined);
  if (!response?.ok) return;
  const { tenant, users } = (await response.json()) as {
    tenant: string;
    users: { name: string; role: string; token: string }[];
  };
  section.append(
    h("h2", {}, `Sign in as (demo tenant ${tenant})`),
    h(
      "ul",
      {},
      users.map((u) =>
        h(
          "li",
          {},
          h("button", { type: "button", onclick: () => void signIn(u.token) }, `${u.name} (${u.role.toLowerCase()})`),
        ),
      ),
    ),
  );
}

const initial = tokenFromFragment() ?? sessionStorage.getItem(TOKEN_KEY);
if (initial) void signIn(initial);
else showSignIn();
