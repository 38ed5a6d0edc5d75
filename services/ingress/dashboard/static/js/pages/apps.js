// Apps (one per customer), and an app's page: its endpoints and, for the operator, portal links.
import { html, useState } from "../../vendor/preact-htm.js";
import { del, get, post } from "../api.js";
import { Link, PORTAL, enc, navigate } from "../router.js";
import { TaskProgress } from "./operations.js";
import {
  Action, Badge, Code, Copy, Empty, ErrorNote, Field, Loading, Page, Section, Time, pct, useApi,
} from "../ui.js";

export function AppsPage() {
  const apps = useApi((signal) => get("/v1/apps", { limit: 250 }, { signal }), []);
  return html`<${Page} title="Apps" subtitle="An app is one of your customers; its endpoints are their URLs.">
    <${NewApp} onCreated=${(app) => navigate(`/apps/${enc(app.id)}`)} />
    <${Section} title="All apps" id="apps">
      ${apps.loading && !apps.data && html`<${Loading} what="Loading apps" />`}
      <${ErrorNote} error=${apps.error} />
      ${apps.data && !apps.data.data.length &&
      html`<${Empty} title="No apps yet">Create one above (or with POST /v1/apps), then add its endpoints.<//>`}
      ${apps.data && apps.data.data.length > 0 &&
      html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Name</th><th scope="col">UID</th><th scope="col">ID</th><th scope="col">Created</th></tr></thead>
        <tbody>${apps.data.data.map((app) => html`<tr>
          <td><${Link} to=${`/apps/${enc(app.id)}`}>${app.name}<//></td>
          <td>${app.uid ? html`<${Code}>${app.uid}<//>` : html`<span class="muted">—</span>`}</td>
          <td><${Code}>${app.id}<//></td>
          <td><${Time} at=${app.created_at} /></td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>
  <//>`;
}

function NewApp({ onCreated }) {
  const [name, setName] = useState("");
  const [uid, setUid] = useState("");
  const [errors, setErrors] = useState({});
  const submit = async (event) => {
    event.preventDefault();
    setErrors({});
    try {
      onCreated(await post("/v1/apps", { name, uid: uid || undefined }));
    } catch (error) {
      const fields = error.byField ? error.byField(["name", "uid"]) : {};
      if (error.code === "conflict") fields.uid = error.message;
      setErrors(Object.keys(fields).length ? fields : { form: error.message });
    }
  };
  return html`<form class="card inline-form" onSubmit=${submit} aria-label="New app">
    <h2>New app</h2>
    <div class="row">
      <${Field} id="app-name" label="Name" error=${errors.name}>
        <input id="app-name" value=${name} onInput=${(e) => setName(e.target.value)} required placeholder="Acme Corp" />
      <//>
      <${Field} id="app-uid" label="UID (optional)" error=${errors.uid}>
        <input id="app-uid" value=${uid} onInput=${(e) => setUid(e.target.value)} placeholder="acme" />
      <//>
      <div class="field field-button"><button class="btn btn-primary" type="submit">Create app</button></div>
    </div>
    ${errors.form && html`<p class="error" role="alert">${errors.form}</p>`}
  </form>`;
}

export function endpointState(endpoint) {
  if (endpoint.enabled) return html`<${Badge} tone="good">Enabled<//>`;
  if (endpoint.disabled_reason) {
    return html`<${Badge} tone="bad" title=${endpoint.disabled_reason}>Disabled by hookbus<//>
      <span class="reason">${endpoint.disabled_reason}</span>`;
  }
  return html`<${Badge}>Disabled<//>`;
}

export function eventTypes(endpoint) {
  const types = endpoint.event_types;
  if (!types || !types.length || types.includes("*")) return html`<span class="muted">Everything</span>`;
  return html`<span class="chips">${types.map((t) => html`<span class="chip">${t}</span>`)}</span>`;
}

export function version(endpoint) {
  if (!endpoint.version && !endpoint.legacy) return html`<span class="muted">current</span>`;
  return html`<span>${endpoint.version || ""} ${endpoint.legacy && html`<${Badge} tone="warn">Legacy<//>`}</span>`;
}

function SuccessRate({ app, endpoint }) {
  const recent = useApi(
    (signal) => get(`/v1/apps/${enc(app)}/endpoints/${enc(endpoint)}/attempts`, { limit: 100 }, { signal }),
    [app, endpoint],
  );
  if (recent.loading) return html`<span class="muted">…</span>`;
  if (recent.error) return html`<span class="muted" title=${recent.error.message}>—</span>`;
  const attempts = recent.data.data;
  if (!attempts.length) return html`<span class="muted">no deliveries</span>`;
  const ok = attempts.filter((a) => a.outcome === "succeeded").length;
  const rate = pct(ok, attempts.length);
  const tone = rate >= 95 ? "good" : rate >= 70 ? "warn" : "bad";
  return html`<span class=${`rate rate-${tone}`} title=${`${ok} of the last ${attempts.length} attempts succeeded`}>
    <span class="meter" aria-hidden="true"><span style=${{ width: `${rate}%` }}></span></span>${rate}%</span>`;
}

export function AppPage({ params, grant }) {
  const app = useApi((signal) => get(`/v1/apps/${enc(params.app)}`, null, { signal }), [params.app]);
  const endpoints = useApi(
    (signal) => get(`/v1/apps/${enc(params.app)}/endpoints`, { limit: 250 }, { signal }),
    [params.app],
  );
  if (app.error) return html`<${Page} title="App"><${ErrorNote} error=${app.error} /><//>`;
  if (!app.data) return html`<${Loading} what="Loading the app" />`;
  const base = `/apps/${enc(params.app)}`;
  const writable = !grant.readOnly;
  return html`<${Page}
      title=${PORTAL ? "Endpoints" : app.data.name}
      subtitle=${PORTAL ? `Where ${app.data.name}'s webhooks are sent` : html`<${Code}>${app.data.id}<//>${app.data.uid ? html` · uid <${Code}>${app.data.uid}<//>` : ""}`}
      crumbs=${PORTAL ? null : [["Apps", "/apps"]]}
      actions=${html`
        <${Link} class="btn" to=${`${base}/messages`}>Messages<//>
        ${writable && html`<${Link} class="btn btn-primary" to=${`${base}/endpoints/new`}>Add endpoint<//>`}`}>
    <${Section} title="Endpoints" id="endpoints">
      ${endpoints.loading && !endpoints.data && html`<${Loading} what="Loading endpoints" />`}
      <${ErrorNote} error=${endpoints.error} />
      ${endpoints.data && !endpoints.data.data.length &&
      html`<${Empty} title="No endpoints yet">
        ${writable ? html`<${Link} to=${`${base}/endpoints/new`}>Add an endpoint<//> to start receiving this app's messages.` : "None has been added to this app."}
      <//>`}
      ${endpoints.data && endpoints.data.data.length > 0 &&
      html`<div class="table-wrap"><table>
        <thead><tr>
          <th scope="col">URL</th><th scope="col">State</th><th scope="col">Event types</th>
          <th scope="col">Version</th><th scope="col">Recent success</th>
        </tr></thead>
        <tbody>${endpoints.data.data.map((ep) => html`<tr>
          <td class="url-cell"><${Link} to=${`${base}/endpoints/${enc(ep.id)}`}>${ep.url}<//>
            ${ep.description && html`<div class="muted small">${ep.description}</div>`}</td>
          <td>${endpointState(ep)}</td>
          <td>${eventTypes(ep)}</td>
          <td>${version(ep)}</td>
          <td><${SuccessRate} app=${params.app} endpoint=${ep.id} /></td>
        </tr>`)}</tbody>
      </table></div>`}
    <//>
    ${writable && html`<${Replay} app=${app.data} />`}
    ${!PORTAL && html`<${PortalAccess} app=${app.data} />`}
  <//>`;
}

function localTime(moment) {
  return new Date(moment.getTime() - moment.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

// Deliver the app's messages of a time span again, in the background.
function Replay({ app }) {
  const [since, setSince] = useState(localTime(new Date(Date.now() - 3600000)));
  const [only, setOnly] = useState("failed");
  const [task, setTask] = useState(null);
  const [error, setError] = useState(null);
  const run = async (event) => {
    event.preventDefault();
    setError(null);
    setTask(null);
    try {
      setTask(await post(`/v1/apps/${enc(app.id)}/replay`, { since: new Date(since).toISOString(), only }));
    } catch (caught) {
      setError(caught);
    }
  };
  return html`<${Section} title="Replay" id="replay">
    <p class="muted">Deliver this app's messages again to their endpoints, in the background.</p>
    <form class="row" onSubmit=${run}>
      <${Field} id="replay-since" label="Published since" error=${error && error.message}>
        <input id="replay-since" type="datetime-local" value=${since} onInput=${(e) => setSince(e.target.value)} required />
      <//>
      <${Field} id="replay-only" label="Deliveries">
        <select id="replay-only" value=${only} onChange=${(e) => setOnly(e.target.value)}>
          <option value="failed">Only those that failed</option><option value="all">All of them</option>
        </select>
      <//>
      <div class="field field-button"><button class="btn" type="submit">Replay</button></div>
    </form>
    ${task && html`<p class="note" role="status">Replay started.</p><${TaskProgress} id=${task.id} />`}
  <//>`;
}

function PortalAccess({ app }) {
  const [expires, setExpires] = useState("1h");
  const [readOnly, setReadOnly] = useState(false);
  const [link, setLink] = useState(null);
  const [revoked, setRevoked] = useState(false);
  const issue = async () => {
    setRevoked(false);
    setLink(await post(`/v1/apps/${enc(app.id)}/portal-access`, { expires_in: expires, read_only: readOnly }));
  };
  const revoke = async () => {
    await del(`/v1/apps/${enc(app.id)}/portal-access`);
    setLink(null);
    setRevoked(true);
  };
  return html`<${Section} title="Customer portal" id="portal">
    <p class="muted">A link that opens these pages limited to ${app.name}: its endpoints, their deliveries and its messages. Send it to your customer.</p>
    <div class="row">
      <${Field} id="portal-expires" label="Link expires after">
        <select id="portal-expires" value=${expires} onChange=${(e) => setExpires(e.target.value)}>
          <option value="1h">1 hour</option><option value="1d">1 day</option>
          <option value="7d">7 days</option><option value="30d">30 days</option>
        </select>
      <//>
      <div class="field field-check">
        <input id="portal-read-only" type="checkbox" checked=${readOnly} onChange=${(e) => setReadOnly(e.target.checked)} />
        <label for="portal-read-only">Read-only</label>
      </div>
      <div class="field field-button"><${Action} kind="btn-primary" run=${issue}>Create portal link<//></div>
      <div class="field field-button"><${Action} kind="btn-danger" run=${revoke}
        confirm="Revoke every portal link issued for this app so far?">Revoke all links<//></div>
    </div>
    ${link && html`<div class="secret-box">
      <label for="portal-url">Portal link (expires <${Time} at=${link.expires_at} />)</label>
      <div class="copy-row"><input id="portal-url" readonly value=${link.url} /><${Copy} text=${link.url} label="Copy portal link" /></div>
    </div>`}
    ${revoked && html`<p class="note" role="status">Every link issued so far is revoked.</p>`}
  <//>`;
}
