// An endpoint's page: its deliveries newest first, live; each opens to request and response.
// Ping, Resend, Recover since a time, the signing secret, and a chart of outcomes over time.
import { html, useState } from "../../vendor/preact-htm.js";
import { del, get, patch, post } from "../api.js";
import { LiveBadge, useLiveList } from "../live.js";
import { Link, enc, navigate } from "../router.js";
import {
  Action, Code, Copy, Empty, ErrorNote, Field, HttpStatus, Loading, Outcome, Page, Section, Time, pct, useApi,
  useAppCrumbs,
} from "../ui.js";
import { endpointState, eventTypes, version } from "./apps.js";
import { AttemptDetail } from "./attempt.js";
import { TaskProgress } from "./operations.js";

const BARS = 24;
const FILTERS = { "": () => true, succeeded: (o) => o === "succeeded", failed: (o) => o === "failed" || o === "exhausted", pending: (o) => o === "retrying" };

// The endpoint's attempts, newest first, kept live from the app's stream.
function useDeliveries(app, ep, status) {
  const keep = FILTERS[status];
  return useLiveList(
    {
      path: ep && `/v1/apps/${enc(app)}/endpoints/${enc(ep)}/attempts`,
      params: { status },
      streamPath: `/v1/apps/${enc(app)}/stream`,
      accept: (type, item) => (type === null || (type === "attempt" && item.endpoint_id === ep)) && keep(item.outcome),
    },
    [status],
  );
}

// Successes and failures over the span of the attempts shown, in up to 24 bars.
function Chart({ attempts }) {
  if (!attempts || !attempts.length) return null;
  const times = attempts.map((a) => new Date(a.timestamp).getTime());
  const end = Date.now();
  const step = Math.max(5000, Math.ceil((end - Math.min(...times) + 1) / BARS));
  const start = end - BARS * step;
  const buckets = Array.from({ length: BARS }, () => ({ ok: 0, bad: 0 }));
  attempts.forEach((a, i) => {
    const bucket = buckets[Math.max(0, Math.min(BARS - 1, Math.floor((times[i] - start) / step)))];
    if (a.outcome === "succeeded") bucket.ok += 1;
    else bucket.bad += 1;
  });
  const ok = attempts.filter((a) => a.outcome === "succeeded").length;
  const peak = Math.max(1, ...buckets.map((b) => b.ok + b.bad));
  const width = 100 / buckets.length;
  const summary = `${ok} succeeded and ${attempts.length - ok} failed of the last ${attempts.length} attempts`;
  return html`<figure class="chart">
    <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label=${summary}>
      ${buckets.map((b, i) => {
        const okHeight = (b.ok / peak) * 38;
        const badHeight = (b.bad / peak) * 38;
        return html`<g>
          <title>${new Date(start + i * step).toLocaleString()}: ${b.ok} succeeded, ${b.bad} failed</title>
          <rect class="bar-ok" x=${i * width + width * 0.15} width=${width * 0.7} y=${40 - okHeight} height=${okHeight} />
          <rect class="bar-bad" x=${i * width + width * 0.15} width=${width * 0.7} y=${40 - okHeight - badHeight} height=${badHeight} />
        </g>`;
      })}
    </svg>
    <figcaption><span class="key key-ok"></span>Succeeded ${ok} <span class="key key-bad"></span>Failed ${attempts.length - ok}
      <span class="muted">· ${pct(ok, attempts.length)}% success</span></figcaption>
  </figure>`;
}

function DeliveryRow({ attempt, app, ep, writable }) {
  const [open, setOpen] = useState(false);
  const [resent, setResent] = useState(false);
  const detailId = `detail-${attempt.id}`;
  return html`<tr class=${open ? "open" : ""}>
      <td><${Outcome} outcome=${attempt.outcome} /></td>
      <td><${HttpStatus} status=${attempt.response ? attempt.response.status : null} /></td>
      <td>${attempt.event_type || html`<span class="muted">—</span>`}</td>
      <td><${Link} to=${`/apps/${enc(app)}/messages/${enc(attempt.message_id)}`} class="mono">${attempt.message_id}<//></td>
      <td>${attempt.attempt}</td>
      <td><${Time} at=${attempt.timestamp} /></td>
      <td>${attempt.duration_ms ?? "—"} ms</td>
      <td class="row-actions">
        <button type="button" class="btn btn-small" aria-expanded=${open} aria-controls=${detailId}
          aria-label=${`Details of attempt ${attempt.id}`} onClick=${() => setOpen(!open)}>${open ? "Hide" : "Details"}</button>
        ${writable && (resent ? html`<span class="note">Resent</span>` : html`<${Action} kind="btn-small"
          label=${`Resend message ${attempt.message_id}`}
          run=${async () => { await post(`/v1/apps/${enc(app)}/messages/${enc(attempt.message_id)}/endpoints/${enc(ep)}/resend`); setResent(true); }}>Resend<//>`)}
      </td>
    </tr>
    ${open && html`<tr class="detail-row" id=${detailId}><td colspan="8"><${AttemptDetail} attempt=${attempt} /></td></tr>`}`;
}

function Secret({ base, writable }) {
  const [secret, setSecret] = useState(null);
  const [error, setError] = useState(null);
  const show = async () => {
    setError(null);
    try {
      setSecret((await get(`${base}/secret`)).secret);
    } catch (caught) {
      setError(caught);
    }
  };
  const rotate = async () => {
    setSecret((await post(`${base}/secret/rotate`, {})).secret);
  };
  return html`<${Section} title="Signing secret" id="secret">
    <p class="muted">Receivers verify each delivery's <code>webhook-signature</code> with this secret (Standard Webhooks).</p>
    ${secret
      ? html`<div class="copy-row"><label class="sr-only" for="secret-value">Signing secret</label>
          <input id="secret-value" class="mono" readonly value=${secret} />
          <${Copy} text=${secret} label="Copy signing secret" />
          <button type="button" class="btn btn-small" onClick=${() => setSecret(null)}>Hide</button></div>`
      : html`<button type="button" class="btn" onClick=${show}>Show secret</button>`}
    ${writable && html`<div class="spaced"><${Action} run=${rotate} confirm="Rotate the secret? The old one keeps signing for the grace period.">Rotate secret<//></div>`}
    <${ErrorNote} error=${error} />
  <//>`;
}

function Recover({ base }) {
  const dayAgo = new Date(Date.now() - 86400000);
  const local = new Date(dayAgo.getTime() - dayAgo.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const [since, setSince] = useState(local);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const run = async (event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    try {
      setResult(await post(`${base}/recover`, { since: new Date(since).toISOString() }));
    } catch (caught) {
      setError(caught);
    }
  };
  return html`<${Section} title="Recover failed deliveries" id="recover">
    <form class="row" onSubmit=${run}>
      <${Field} id="recover-since" label="Failed since" error=${error && error.message}>
        <input id="recover-since" type="datetime-local" value=${since} onInput=${(e) => setSince(e.target.value)} required />
      <//>
      <div class="field field-button"><button class="btn" type="submit">Recover</button></div>
    </form>
    ${result && html`<p class="note" role="status">${result.count} message${result.count === 1 ? "" : "s"} sent again.</p>`}
    ${result && result.task_id && html`<${TaskProgress} id=${result.task_id} />`}
  <//>`;
}

export function EndpointPage({ params, grant }) {
  const { app, ep } = params;
  const base = `/v1/apps/${enc(app)}/endpoints/${enc(ep)}`;
  const endpoint = useApi((signal) => get(base, null, { signal }), [app, ep]);
  const [status, setStatus] = useState("");
  // Followed by the endpoint's id (the URL may name it by uid), as the stream's attempts are.
  const deliveries = useDeliveries(app, endpoint.data && endpoint.data.id, status);
  const [pinged, setPinged] = useState(null);
  const crumbs = useAppCrumbs(grant, app);
  const writable = !grant.readOnly;
  if (endpoint.error) return html`<${Page} title="Endpoint" crumbs=${crumbs}><${ErrorNote} error=${endpoint.error} /><//>`;
  if (!endpoint.data) return html`<${Loading} what="Loading the endpoint" />`;
  const data = endpoint.data;
  const appPage = `/apps/${enc(app)}`;
  const toggle = async () => {
    endpoint.setData(await patch(base, { enabled: !data.enabled }));
  };
  const remove = async () => {
    await del(base);
    navigate(appPage);
  };
  const ping = async () => {
    setPinged((await post(`${base}/ping`)).message_id);
  };
  return html`<${Page} title=${data.url} subtitle=${html`${data.description ? `${data.description} · ` : ""}<${Code}>${data.id}<//>`}
      crumbs=${crumbs}
      actions=${writable && html`
        <${Action} run=${ping} kind="btn-primary">Ping<//>
        <${Link} class="btn" to=${`${appPage}/endpoints/${enc(ep)}/edit`}>Edit<//>
        <${Action} run=${toggle}>${data.enabled ? "Disable" : "Enable"}<//>
        <${Action} run=${remove} kind="btn-danger" confirm="Delete this endpoint? Its deliveries stop at once.">Delete<//>`}>
    ${pinged && html`<p class="note" role="status">Ping sent as message <${Code}>${pinged}<//>; its attempt appears below.</p>`}
    <div class="facts-grid">
      <div><span class="label">State</span>${endpointState(data)}</div>
      <div><span class="label">Event types</span>${eventTypes(data)}</div>
      <div><span class="label">Version</span>${version(data)}</div>
      <div><span class="label">Channels</span>${data.channels && data.channels.length ? data.channels.join(", ") : html`<span class="muted">any</span>`}</div>
      <div><span class="label">Rate limit</span>${data.rate_limit ? `${data.rate_limit}/s` : html`<span class="muted">none</span>`}</div>
      <div><span class="label">Ordered</span>${data.ordered ? "yes" : "no"}</div>
    </div>
    <${Section} title="Deliveries" id="deliveries" actions=${html`
      <${LiveBadge} live=${deliveries.live} />
      <${Field} id="delivery-status" label="Show">
        <select id="delivery-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
          <option value="">All attempts</option><option value="succeeded">Succeeded</option>
          <option value="failed">Failed</option><option value="pending">Retrying</option>
        </select>
      <//>`}>
      <${Chart} attempts=${deliveries.items} />
      <${ErrorNote} error=${deliveries.error} />
      ${!deliveries.items && !deliveries.error && html`<${Loading} what="Loading deliveries" />`}
      ${deliveries.items && !deliveries.items.length &&
      html`<${Empty} title="No deliveries yet">${writable ? "Press Ping to send a test message, or publish a message this endpoint subscribes to." : "Deliveries to this endpoint will appear here as they happen."}<//>`}
      ${deliveries.items && deliveries.items.length > 0 && html`<div class="table-wrap"><table class="deliveries">
        <thead><tr><th scope="col">Outcome</th><th scope="col">HTTP</th><th scope="col">Event type</th>
          <th scope="col">Message</th><th scope="col">Try</th><th scope="col">When</th><th scope="col">Duration</th>
          <th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${deliveries.items.map((a) => html`<${DeliveryRow} key=${a.id} attempt=${a} app=${app} ep=${ep} writable=${writable} />`)}</tbody>
      </table></div>`}
      ${deliveries.cursor && html`<div class="spaced"><${Action} run=${deliveries.more}>Load older deliveries<//></div>`}
    <//>
    <div class="two-col">
      <${Secret} base=${base} writable=${writable} />
      ${writable && html`<${Recover} base=${base} />`}
    </div>
  <//>`;
}
