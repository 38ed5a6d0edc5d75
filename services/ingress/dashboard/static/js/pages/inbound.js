// Inbound: sources in the order the shared URL tries them, a source's received requests and
// routes, the received log with each request's verification and routes, and Resubmit.
import { html, useState } from "../../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { LiveBadge, useLiveList } from "../live.js";
import { Link, enc, navigate } from "../router.js";
import { Action, Badge, Code, Copy, Empty, ErrorNote, Field, Headers, Json, Loading, Page, Section, Time, useApi } from "../ui.js";

const PROVIDERS = ["github", "stripe", "slack", "twilio", "pagerduty", "zendesk", "shopify", "meta", "twitter", "gitlab", "sendgrid", "teams", "standard", "generic"];
const ROUTE_TONES = { succeeded: "good", failed: "bad", retrying: "warn", pending: "warn" };
const STATUS_TONES = { accepted: "good", rejected: "bad", ignored: "neutral", duplicate: "neutral" };

function Verified({ source }) {
  return source.status === "verified"
    ? html`<${Badge} tone="good" title=${source.verified_at}>Verified<//>`
    : html`<${Badge} tone="warn">Unverified<//>`;
}

function Active({ item }) {
  return item.enabled === false ? html`<${Badge}>Inactive<//>` : html`<${Badge} tone="good">Active<//>`;
}

function NewSource({ onCreated }) {
  const [name, setName] = useState("");
  const [provider, setProvider] = useState("github");
  const [secret, setSecret] = useState("");
  const [errors, setErrors] = useState({});
  const submit = async (event) => {
    event.preventDefault();
    setErrors({});
    const body = { name, provider };
    if (secret) body.secret = secret;
    if (provider === "generic") body.verification = { type: "none" };
    try {
      onCreated(await post("/v1/sources", body));
    } catch (error) {
      const fields = error.byField ? error.byField(["name", "provider", "secret"]) : {};
      setErrors(Object.keys(fields).length ? fields : { form: error.message });
    }
  };
  return html`<form class="card inline-form" onSubmit=${submit} aria-label="New source">
    <h2>New source</h2>
    <div class="row">
      <${Field} id="src-name" label="Name" error=${errors.name}><input id="src-name" required value=${name} onInput=${(e) => setName(e.target.value)} placeholder="GitHub org" /><//>
      <${Field} id="src-provider" label="Provider" error=${errors.provider}>
        <select id="src-provider" value=${provider} onChange=${(e) => setProvider(e.target.value)}>
          ${PROVIDERS.map((p) => html`<option value=${p}>${p}</option>`)}
        </select>
      <//>
      <${Field} id="src-secret" label="Signing secret" error=${errors.secret}><input id="src-secret" type="password" value=${secret} onInput=${(e) => setSecret(e.target.value)} /><//>
      <div class="field field-button"><button class="btn btn-primary" type="submit">Add source</button></div>
    </div>
    ${errors.form && html`<p class="error" role="alert">${errors.form}</p>`}
  </form>`;
}

export function SourcesPage() {
  const sources = useApi((signal) => get("/v1/sources", { limit: 250 }, { signal }), []);
  const sorted = sources.data ? [...sources.data.data].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0)) : [];
  return html`<${Page} title="Sources" subtitle="Who may send webhooks to hookbus, and how each request is verified. The shared /hooks URL tries them in this order.">
    <${NewSource} onCreated=${(source) => navigate(`/sources/${enc(source.id)}`)} />
    <${Section} title="In priority order" id="sources">
      ${sources.loading && !sources.data && html`<${Loading} what="Loading sources" />`}
      <${ErrorNote} error=${sources.error} />
      ${sources.data && !sorted.length && html`<${Empty} title="No sources yet">Add one above, then give its URL to the provider (GitHub, Stripe, Slack…).<//>`}
      ${sorted.length > 0 && html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Priority</th><th scope="col">Source</th><th scope="col">Provider</th>
          <th scope="col">URL</th><th scope="col">State</th></tr></thead>
        <tbody>${sorted.map((s) => html`<tr>
          <td>${s.priority ?? 0}</td>
          <td><${Link} to=${`/sources/${enc(s.id)}`}>${s.name}<//></td>
          <td>${s.provider}</td>
          <td class="url-cell"><span class="copy-inline"><${Code}>${s.url}<//><${Copy} text=${s.url} label=${`Copy the URL of ${s.name}`} /></span></td>
          <td><${Verified} source=${s} /> <${Active} item=${s} /></td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>
  <//>`;
}

function destination(route) {
  const d = route.destination || {};
  if (d.type === "http") return html`HTTP <${Code}>${d.url}<//>`;
  if (d.type === "kafka") return html`Kafka topic <${Code}>${d.topic}<//>`;
  if (d.type === "app") return html`App <${Link} to=${`/apps/${enc(d.app_id)}`}>${d.app_id}<//> as <${Code}>${typeof d.event_type === "string" ? d.event_type : JSON.stringify(d.event_type)}<//>`;
  return JSON.stringify(d);
}

function RoutesTable({ routes }) {
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Route</th><th scope="col">Source</th><th scope="col">Path</th><th scope="col">Matches</th><th scope="col">Destination</th><th scope="col">State</th></tr></thead>
    <tbody>${routes.map((r) => html`<tr>
      <td>${r.name}<div class="muted small mono">${r.id}</div></td>
      <td>${r.source_id ? html`<${Link} to=${`/sources/${enc(r.source_id)}`} class="mono">${r.source_id}<//>` : html`<span class="muted">any</span>`}</td>
      <td>${r.path ? html`<${Code}>${r.path}<//>` : html`<span class="muted">any</span>`}</td>
      <td>${r.matches && Object.keys(r.matches).length ? html`<${Code}>${JSON.stringify(r.matches)}<//>` : html`<span class="muted">always</span>`}</td>
      <td>${destination(r)}</td>
      <td><${Active} item=${r} /></td>
    </tr>`)}</tbody></table></div>`;
}

function ReceivedTable({ items }) {
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Request</th><th scope="col">Received</th><th scope="col">Verification</th><th scope="col">Status</th><th scope="col">Routes</th></tr></thead>
    <tbody>${items.map((r) => html`<tr>
      <td><${Link} to=${`/inbound/${enc(r.id)}`} class="mono">${r.method} /${r.path || ""}<//><div class="muted small mono">${r.id}</div></td>
      <td><${Time} at=${r.received_at} /></td>
      <td>${(r.verification && r.verification.result) || "—"}</td>
      <td><${Badge} tone=${STATUS_TONES[r.status] || "neutral"}>${r.status}<//></td>
      <td>${(r.routes || []).length ? (r.routes || []).map((x) => html`<${Badge} tone=${ROUTE_TONES[x.outcome] || "neutral"} title=${x.route_id}>${x.outcome}<//> `) : html`<span class="muted">none</span>`}</td>
    </tr>`)}</tbody></table></div>`;
}

export function SourcePage({ params }) {
  const { src } = params;
  const source = useApi((signal) => get(`/v1/sources/${enc(src)}`, null, { signal }), [src]);
  const received = useLiveList(
    {
      path: "/v1/inbound",
      params: { source_id: src },
      streamPath: `/v1/inbound/stream?source_id=${enc(src)}`,
      accept: (type, item) => type === null || (type === "inbound" && item.source_id === src),
    },
    [src],
  );
  const routes = useApi((signal) => get("/v1/routes", { source_id: src, limit: 250 }, { signal }), [src]);
  if (source.error) return html`<${Page} title="Source" crumbs=${[["Sources", "/sources"]]}><${ErrorNote} error=${source.error} /><//>`;
  if (!source.data) return html`<${Loading} what="Loading the source" />`;
  const s = source.data;
  return html`<${Page} title=${s.name} subtitle=${html`${s.provider} · <${Code}>${s.id}<//>`} crumbs=${[["Sources", "/sources"]]}>
    <div class="facts-grid">
      <div><span class="label">State</span><${Verified} source=${s} /> <${Active} item=${s} /></div>
      <div><span class="label">Priority</span>${s.priority ?? 0}</div>
      <div class="wide"><span class="label">URL to give the provider</span>
        <span class="copy-inline"><${Code}>${s.url}<//><${Copy} text=${s.url} label="Copy source URL" /></span></div>
    </div>
    <${Section} title="Received requests" id="received" actions=${html`<${LiveBadge} live=${received.live} />`}>
      <${ErrorNote} error=${received.error} />
      ${!received.items && !received.error && html`<${Loading} what="Loading received requests" />`}
      ${received.items && !received.items.length && html`<${Empty} title="Nothing received yet">Give the URL above to ${s.provider}; its first request shows up here.<//>`}
      ${received.items && received.items.length > 0 && html`<${ReceivedTable} items=${received.items} />`}
      ${received.cursor && html`<div class="spaced"><${Action} run=${received.more}>Load older requests<//></div>`}
    <//>
    <${Section} title="Routes" id="routes">
      <${ErrorNote} error=${routes.error} />
      ${routes.data && !routes.data.data.length && html`<${Empty} title="No routes for this source">Add one with POST /v1/routes so its requests go somewhere.<//>`}
      ${routes.data && routes.data.data.length > 0 && html`<${RoutesTable} routes=${routes.data.data} />`}
    <//>
  <//>`;
}

export function ReceivedPage({ search }) {
  const given = new URLSearchParams(search);
  const [status, setStatus] = useState(given.get("status") || "");
  const received = useLiveList(
    {
      path: "/v1/inbound",
      params: { status },
      streamPath: "/v1/inbound/stream",
      accept: (type, item) => type === null || (type === "inbound" && (!status || item.status === status)),
    },
    [status],
  );
  return html`<${Page} title="Received" subtitle="Every request sent to hookbus's receiving URLs, newest first.">
    <${Section} title="Received requests" id="received" actions=${html`
      <${LiveBadge} live=${received.live} />
      <${Field} id="in-status" label="Status">
        <select id="in-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
          <option value="">All</option><option value="accepted">Accepted</option><option value="rejected">Rejected</option><option value="ignored">Ignored</option><option value="duplicate">Duplicate</option>
        </select>
      <//>`}>
      <${ErrorNote} error=${received.error} />
      ${!received.items && !received.error && html`<${Loading} what="Loading received requests" />`}
      ${received.items && !received.items.length && html`<${Empty} title="Nothing received yet">Add a source and give its URL to a provider.<//>`}
      ${received.items && received.items.length > 0 && html`<${ReceivedTable} items=${received.items} />`}
      ${received.cursor && html`<div class="spaced"><${Action} run=${received.more}>Load older requests<//></div>`}
    <//>
  <//>`;
}

export function ReceivedRequestPage({ params }) {
  const id = params.in;
  const item = useApi((signal) => get(`/v1/inbound/${enc(id)}`, null, { signal }), [id]);
  const [again, setAgain] = useState(null);
  if (item.error) return html`<${Page} title="Received request" crumbs=${[["Received", "/inbound"]]}><${ErrorNote} error=${item.error} /><//>`;
  if (!item.data) return html`<${Loading} what="Loading the request" />`;
  const r = item.data;
  const resubmit = async () => setAgain(await post(`/v1/inbound/${enc(r.id)}/resubmit`));
  return html`<${Page} title=${`${r.method} /${r.path || ""}`} subtitle=${html`<${Code}>${r.id}<//> · <${Time} at=${r.received_at} />`}
      crumbs=${[["Received", "/inbound"], ...(r.source_id ? [[r.source_id, `/sources/${enc(r.source_id)}`]] : [])]}
      actions=${html`<${Action} run=${resubmit} kind="btn-primary">Resubmit<//>`}>
    ${again && html`<p class="note" role="status">Resubmitted as <${Link} to=${`/inbound/${enc(again.id)}`}>${again.id}<//>.</p>`}
    <div class="facts-grid">
      <div><span class="label">Status</span><${Badge} tone=${STATUS_TONES[r.status] || "neutral"}>${r.status}<//></div>
      <div><span class="label">Verification</span>${r.verification ? `${r.verification.result}${r.verification.scheme ? ` (${r.verification.scheme})` : ""}` : "—"}</div>
      <div><span class="label">Query</span>${r.query ? html`<${Code}>${r.query}<//>` : html`<span class="muted">none</span>`}</div>
    </div>
    <${Section} title="Routes" id="outcomes">
      ${!(r.routes || []).length && html`<${Empty} title="No route matched">Add a route for this source, then Resubmit.<//>`}
      ${(r.routes || []).length > 0 && html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Route</th><th scope="col">Destination</th><th scope="col">Outcome</th><th scope="col">Attempts</th></tr></thead>
        <tbody>${r.routes.map((x) => html`<tr><td class="mono">${x.route_id}</td><td>${x.destination || "—"}</td>
          <td><${Badge} tone=${ROUTE_TONES[x.outcome] || "neutral"}>${x.outcome}<//></td><td>${x.attempts ?? "—"}</td></tr>`)}</tbody>
      </table></div>`}
    <//>
    <div class="two-col">
      <${Section} title="Headers" id="in-headers"><${Headers} headers=${r.headers} label="Received headers" /><//>
      <${Section} title="Body" id="in-body"><${Json} value=${r.body ?? ""} label="Received body" /><//>
    </div>
  <//>`;
}

export function RoutesPage() {
  const routes = useApi((signal) => get("/v1/routes", { limit: 250 }, { signal }), []);
  return html`<${Page} title="Routes" subtitle="What happens to a received request: every matching route runs.">
    <${Section} title="All routes" id="all-routes">
      ${routes.loading && !routes.data && html`<${Loading} what="Loading routes" />`}
      <${ErrorNote} error=${routes.error} />
      ${routes.data && !routes.data.data.length && html`<${Empty} title="No routes yet">Create one with POST /v1/routes: to an HTTP service, a Kafka topic or an app.<//>`}
      ${routes.data && routes.data.data.length > 0 && html`<${RoutesTable} routes=${routes.data.data} />`}
    <//>
  <//>`;
}
