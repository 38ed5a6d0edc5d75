// Small building blocks every page uses: loading data, headings, badges, errors, copy buttons.
import { html, useCallback, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get } from "./api.js";
import { Link } from "./router.js";

// Load with `loader` (an async function of an AbortSignal) whenever `deps` change.
export function useApi(loader, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    setState((old) => ({ ...old, loading: true }));
    loader(abort.signal).then(
      (data) => !abort.signal.aborted && setState({ data, error: null, loading: false }),
      (error) => {
        if (!abort.signal.aborted && error.name !== "AbortError") {
          setState({ data: null, error, loading: false });
        }
      },
    );
    return () => abort.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload, setData: (data) => setState((old) => ({ ...old, data })) };
}

// The page's heading takes the focus when the page opens, so keyboard and screen-reader users
// start at the new content.
export function Page({ title, subtitle, crumbs, actions, children }) {
  const heading = useRef(null);
  useEffect(() => {
    if (heading.current && document.activeElement === document.body) heading.current.focus();
    document.title = `${title} · hookbus`;
  }, [title]);
  return html`
    <div class="page">
      ${crumbs &&
      html`<nav class="crumbs" aria-label="Breadcrumb">
        ${crumbs.map(([label, to]) => html`<${Link} to=${to}>${label}<//><span aria-hidden="true">/</span>`)}
      </nav>`}
      <header class="page-head">
        <div class="page-title">
          <h1 tabindex="-1" ref=${heading}>${title}</h1>
          ${subtitle && html`<p class="subtitle">${subtitle}</p>`}
        </div>
        ${actions && html`<div class="actions">${actions}</div>`}
      </header>
      ${children}
    </div>`;
}

export function Section({ title, actions, children, id }) {
  const headingId = id ? `${id}-title` : undefined;
  return html`
    <section class="card" aria-labelledby=${headingId}>
      <div class="card-head">
        <h2 id=${headingId}>${title}</h2>
        ${actions && html`<div class="actions">${actions}</div>`}
      </div>
      ${children}
    </section>`;
}

export function Loading({ what = "Loading" }) {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${what}…</p>`;
}

export function Empty({ title, children }) {
  return html`<div class="empty"><p class="empty-title">${title}</p>${children && html`<p>${children}</p>`}</div>`;
}

// An API error, shown where it happened. A 404 for a whole feature says this hookbus lacks it.
export function ErrorNote({ error, feature }) {
  if (!error) return null;
  if (feature && error.status === 404 && error.code !== "not_found") {
    return html`<div class="empty"><p class="empty-title">${feature} is not available on this hookbus</p>
      <p>This server does not offer the call yet; upgrade hookbus to use it.</p></div>`;
  }
  const code = error.code && error.status ? ` (${error.status} ${error.code})` : "";
  return html`<p class="error" role="alert">${error.message}${code}</p>`;
}

export function Badge({ tone = "neutral", children, title }) {
  return html`<span class=${`badge badge-${tone}`} title=${title}>${children}</span>`;
}

const OUTCOME_TONES = { succeeded: "good", failed: "bad", exhausted: "bad", retrying: "warn" };

export function Outcome({ outcome }) {
  return html`<${Badge} tone=${OUTCOME_TONES[outcome] || "neutral"}>${outcome}<//>`;
}

export function HttpStatus({ status }) {
  if (status === null || status === undefined) return html`<span class="muted">—</span>`;
  const tone = status < 300 ? "good" : status < 500 ? "warn" : "bad";
  return html`<span class=${`status status-${tone}`}>${status}</span>`;
}

export function when(at) {
  if (!at) return "—";
  const moment = new Date(at);
  const seconds = Math.round((Date.now() - moment.getTime()) / 1000);
  const size = Math.abs(seconds);
  if (size < 5) return "just now";
  const span = size < 60 ? `${size}s` : size < 3600 ? `${Math.round(size / 60)}m`
    : size < 86400 ? `${Math.round(size / 3600)}h` : `${Math.round(size / 86400)}d`;
  if (seconds < 0) return `in ${span}`;
  return size < 86400 ? `${span} ago` : moment.toLocaleString();
}

export function Time({ at }) {
  if (!at) return html`<span class="muted">—</span>`;
  return html`<time datetime=${at} title=${at}>${when(at)}</time>`;
}

export function Json({ value, label }) {
  let text = value;
  if (typeof value === "string") {
    try {
      text = JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      text = value;
    }
  } else {
    text = JSON.stringify(value, null, 2);
  }
  return html`<pre class="code" tabindex="0" aria-label=${label}>${text === "" ? "(empty)" : text}</pre>`;
}

export function Headers({ headers, label }) {
  const entries = Object.entries(headers || {});
  if (!entries.length) return html`<p class="muted">No headers</p>`;
  return html`<dl class="headers" aria-label=${label}>
    ${entries.map(([name, value]) => html`<div><dt>${name}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

export function Copy({ text, label = "Copy" }) {
  const [done, setDone] = useState(false);
  const click = async () => {
    try {
      await copyText(text);
      setDone(true);
      setTimeout(() => setDone(false), 1500);
    } catch {
      setDone(false);
    }
  };
  return html`<button type="button" class="btn btn-small" onClick=${click} aria-label=${label}>
    ${done ? "Copied" : "Copy"}</button><span class="sr-only" role="status">${done ? "Copied" : ""}</span>`;
}

// A button running an API call: busy while it runs, its error shown right beside it.
export function Action({ run, children, kind = "", label, confirm: question }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const click = async () => {
    if (question && !window.confirm(question)) return;
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="action">
    <button type="button" class=${`btn ${kind}`} onClick=${click} disabled=${busy} aria-label=${label}>
      ${busy ? "Working…" : children}
    </button>
    ${error && html`<span class="error inline" role="alert">${error.message}</span>`}
  </span>`;
}

export function Field({ id, label, hint, error, children }) {
  return html`<div class=${`field ${error ? "has-error" : ""}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${error && html`<p class="error inline" id=${`${id}-error`} role="alert">${error}</p>`}
  </div>`;
}

export function Code({ children }) {
  return html`<code class="mono">${children}</code>`;
}

export function pct(part, whole) {
  if (!whole) return null;
  return Math.round((part / whole) * 1000) / 10;
}

const appNames = new Map();

// The breadcrumbs above an app's pages: the app by name in the dashboard, "Endpoints" in the
// portal (whose one app needs no name).
export function useAppCrumbs(grant, app) {
  const known = appNames.get(app);
  const [name, setName] = useState(known || app);
  useEffect(() => {
    if (grant.portal || appNames.has(app)) return;
    get(`/v1/apps/${encodeURIComponent(app)}`).then(
      (found) => {
        appNames.set(app, found.name);
        setName(found.name);
      },
      () => {},
    );
  }, [app]);
  const appPage = `/apps/${encodeURIComponent(app)}`;
  return grant.portal ? [["Endpoints", appPage]] : [["Apps", "/apps"], [name, appPage]];
}
