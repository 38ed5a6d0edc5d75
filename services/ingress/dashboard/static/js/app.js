// The hookbus dashboard (/dashboard, admin token) and customer portal (/portal, a portal token
// limited to one app): one application, two sets of pages, only the public /v1 API.
import { html, render, useEffect, useState } from "../vendor/preact-htm.js";
import { get, onUnauthorized, setToken } from "./api.js";
import { AppPage, AppsPage } from "./pages/apps.js";
import { EndpointPage } from "./pages/endpoint.js";
import { EndpointForm } from "./pages/endpoint_form.js";
import { AttemptPage, MessagePage, MessagesPage } from "./pages/messages.js";
import { EventTypesPage } from "./pages/event_types.js";
import { ReceivedPage, ReceivedRequestPage, RoutesPage, SourcePage, SourcesPage } from "./pages/inbound.js";
import { DeadLettersPage, TasksPage } from "./pages/operations.js";
import { BASE, Link, PORTAL, match, navigate, useLocation } from "./router.js";
import { Empty, Field, Page } from "./ui.js";

const STORE = PORTAL ? "hookbus.portal-token" : "hookbus.token";

const APP_ROUTES = [
  ["/apps/:app", AppPage],
  ["/apps/:app/endpoints/new", EndpointForm],
  ["/apps/:app/endpoints/:ep/edit", EndpointForm],
  ["/apps/:app/endpoints/:ep", EndpointPage],
  ["/apps/:app/messages", MessagesPage],
  ["/apps/:app/messages/:msg", MessagePage],
  ["/apps/:app/attempts/:atm", AttemptPage],
  ["/event-types", EventTypesPage],
];
const OPERATOR_ROUTES = [
  ["/", AppsPage],
  ["/apps", AppsPage],
  ["/sources", SourcesPage],
  ["/sources/:src", SourcePage],
  ["/inbound", ReceivedPage],
  ["/inbound/:in", ReceivedRequestPage],
  ["/routes", RoutesPage],
  ["/dead-letters", DeadLettersPage],
  ["/tasks", TasksPage],
];

// The app a portal token is for: its claims are readable (they are signed, not secret).
function portalApp(token) {
  try {
    const body = token.slice(4).split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(body + "=".repeat((4 - (body.length % 4)) % 4)));
    return { app: claims.app, readOnly: Boolean(claims.ro), expires: claims.exp };
  } catch {
    return null;
  }
}

// A portal link carries its token in the fragment: kept for this tab, then taken off the URL.
function startingToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get("token");
  if (given) {
    sessionStorage.setItem(STORE, given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(STORE);
}

function SignIn({ reason, onToken }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setToken(value.trim());
    try {
      await get("/v1/apps", { limit: 1 });
      sessionStorage.setItem(STORE, value.trim());
      onToken(value.trim());
    } catch (caught) {
      setError(caught.status === 401 ? "hookbus refused this token." : caught.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="card signin-card" onSubmit=${submit}>
      <div class="brand brand-large"><span class="logo" aria-hidden="true"></span>hookbus</div>
      <h1>Sign in</h1>
      <p class="muted">Paste the admin token (<code>HOOKBUS_ADMIN_TOKEN</code>; <code>dev-token</code> with <code>make run</code>).</p>
      ${reason && html`<p class="error" role="alert">${reason}</p>`}
      <${Field} id="token" label="Token" error=${error}>
        <input id="token" type="password" autocomplete="current-password" value=${value}
          onInput=${(e) => setValue(e.target.value)} required aria-invalid=${Boolean(error)}
          aria-describedby=${error ? "token-error" : undefined} />
      <//>
      <button class="btn btn-primary" type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
    </form>
  </main>`;
}

function PortalClosed({ reason }) {
  return html`<main class="signin"><div class="card signin-card">
    <div class="brand brand-large"><span class="logo" aria-hidden="true"></span>hookbus</div>
    <h1>This portal link cannot be used</h1>
    <p class="error" role="alert">${reason || "The link has no token."}</p>
    <p>Portal links expire. Ask whoever sent it for a new one.</p>
  </div></main>`;
}

function Nav({ grant, where }) {
  const items = PORTAL
    ? [
        ["Endpoints", `/apps/${grant.app}`],
        ["Messages", `/apps/${grant.app}/messages`],
        ["Event types", "/event-types"],
      ]
    : [
        ["Apps", "/apps"],
        ["Event types", "/event-types"],
        ["Sources", "/sources"],
        ["Received", "/inbound"],
        ["Routes", "/routes"],
        ["Dead letters", "/dead-letters"],
        ["Tasks", "/tasks"],
      ];
  const current = (to) =>
    where.path === to || (to !== "/apps" && where.path.startsWith(`${to}/`)) ||
    (to === "/apps" && (where.path === "/" || where.path.startsWith("/apps")));
  return html`<nav class="nav" aria-label="Main">
    <ul>${items.map(([label, to]) => html`<li>
      <${Link} to=${to} aria-current=${current(to) ? "page" : undefined}>${label}<//></li>`)}
    </ul>
  </nav>`;
}

function Shell({ grant, onSignOut }) {
  const where = useLocation();
  let found = match(APP_ROUTES, where.path);
  if (!found && !PORTAL) found = match(OPERATOR_ROUTES, where.path);
  useEffect(() => {
    if (PORTAL && grant && (where.path === "/" || where.path === "/apps")) {
      navigate(`/apps/${grant.app}`, true);
    }
  }, [where.path]);
  const View = found && found.view;
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <div class="layout">
      <aside class="sidebar">
        <div class="brand"><span class="logo" aria-hidden="true"></span>hookbus
          <span class="brand-tag">${PORTAL ? "portal" : "dashboard"}</span></div>
        <${Nav} grant=${grant} where=${where} />
        <div class="sidebar-foot">
          ${PORTAL && grant.readOnly && html`<p class="muted small">Read-only link</p>`}
          <button type="button" class="btn btn-ghost" onClick=${onSignOut}>Sign out</button>
        </div>
      </aside>
      <main id="main" class="main">
        ${View
          ? html`<${View} key=${where.path} params=${found.params} search=${where.search} grant=${grant} />`
          : html`<${Page} title="Page not found">
              <${Empty} title="There is no page at this address.">
                Go back to <${Link} to=${PORTAL ? `/apps/${grant.app}` : "/apps"}>the start page<//>.
              <//>
            <//>`}
      </main>
    </div>`;
}

function Root() {
  const [token, setTokenState] = useState(startingToken);
  const [reason, setReason] = useState(null);
  setToken(token);
  useEffect(() => {
    onUnauthorized((error) => {
      sessionStorage.removeItem(STORE);
      setReason(error.message);
      setTokenState(null);
    });
  }, []);
  const signOut = () => {
    sessionStorage.removeItem(STORE);
    setReason(null);
    setTokenState(null);
  };
  if (PORTAL) {
    const grant = token && portalApp(token);
    if (!grant) {
      const why = reason || (token ? "The link is incomplete or damaged." : null);
      return html`<${PortalClosed} reason=${why} />`;
    }
    return html`<${Shell} grant=${{ ...grant, portal: true }} onSignOut=${signOut} />`;
  }
  if (!token) return html`<${SignIn} reason=${reason} onToken=${(t) => setTokenState(t)} />`;
  return html`<${Shell} grant=${{ portal: false, readOnly: false }} onSignOut=${signOut} />`;
}

document.documentElement.dataset.mode = BASE.slice(1);
const root = document.getElementById("root");
root.textContent = "";
render(html`<${Root} />`, root);
