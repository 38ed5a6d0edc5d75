// An app's messages (filtered by type, channel and time), one message with its attempts per
// endpoint, and one attempt on its own page.
import { html, useState } from "../../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { Link, enc, navigate } from "../router.js";
import { Action, Code, Empty, ErrorNote, Field, HttpStatus, Json, Loading, Outcome, Page, Section, Time, useApi, useAppCrumbs } from "../ui.js";
import { AttemptDetail } from "./attempt.js";


const iso = (local) => (local ? new Date(local).toISOString() : "");

export function MessagesPage({ params, search, grant }) {
  const { app } = params;
  const crumbs = useAppCrumbs(grant, app);
  const given = new URLSearchParams(search);
  const [filters, setFilters] = useState({
    event_type: given.get("event_type") || "",
    channel: given.get("channel") || "",
    after: given.get("after") || "",
    before: given.get("before") || "",
  });
  const [draft, setDraft] = useState(filters);
  const [older, setOlder] = useState([]);
  const [cursor, setCursor] = useState(undefined);
  const messages = useApi(
    (signal) => get(`/v1/apps/${enc(app)}/messages`, { ...filters, after: iso(filters.after), before: iso(filters.before), limit: 50 }, { signal }),
    [app, filters],
  );
  const apply = (event) => {
    event.preventDefault();
    setOlder([]);
    setCursor(undefined);
    setFilters(draft);
    const query = new URLSearchParams(Object.entries(draft).filter(([, v]) => v)).toString();
    history.replaceState(null, "", location.pathname + (query ? `?${query}` : ""));
  };
  const next = cursor === undefined ? messages.data && messages.data.next_cursor : cursor;
  const more = async () => {
    const page = await get(`/v1/apps/${enc(app)}/messages`, { ...filters, after: iso(filters.after), before: iso(filters.before), limit: 50, cursor: next });
    setOlder([...older, ...page.data]);
    setCursor(page.next_cursor);
  };
  const set = (name) => (e) => setDraft({ ...draft, [name]: e.target.value });
  const rows = messages.data ? [...messages.data.data, ...older] : [];
  return html`<${Page} title="Messages" subtitle="Everything published to this app, newest first." crumbs=${crumbs}>
    <form class="card filters" onSubmit=${apply} aria-label="Filter messages">
      <div class="row">
        <${Field} id="f-type" label="Event type"><input id="f-type" value=${draft.event_type} onInput=${set("event_type")} placeholder="invoice.paid" /><//>
        <${Field} id="f-channel" label="Channel"><input id="f-channel" value=${draft.channel} onInput=${set("channel")} /><//>
        <${Field} id="f-after" label="After"><input id="f-after" type="datetime-local" value=${draft.after} onInput=${set("after")} /><//>
        <${Field} id="f-before" label="Before"><input id="f-before" type="datetime-local" value=${draft.before} onInput=${set("before")} /><//>
        <div class="field field-button"><button class="btn" type="submit">Apply filters</button></div>
      </div>
      <${ErrorNote} error=${messages.error} />
    </form>
    <${Section} title="Messages" id="messages">
      ${messages.loading && !messages.data && html`<${Loading} what="Loading messages" />`}
      ${messages.data && !rows.length && html`<${Empty} title="No messages match">
        ${Object.values(filters).some(Boolean) ? "Clear the filters to see every message." : "Messages published to this app with POST /v1/apps/{app}/messages appear here."}<//>`}
      ${rows.length > 0 && html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Message</th><th scope="col">Event type</th><th scope="col">Channels</th><th scope="col">Published</th></tr></thead>
        <tbody>${rows.map((m) => html`<tr>
          <td><${Link} class="mono" to=${`/apps/${enc(app)}/messages/${enc(m.id)}`}>${m.id}<//></td>
          <td>${m.event_type}</td>
          <td>${m.channels && m.channels.length ? m.channels.join(", ") : html`<span class="muted">—</span>`}</td>
          <td><${Time} at=${m.timestamp} /></td>
        </tr>`)}</tbody></table></div>`}
      ${next && html`<div class="spaced"><${Action} run=${more}>Load older messages<//></div>`}
    <//>
  <//>`;
}

export function MessagePage({ params, grant }) {
  const { app, msg } = params;
  const crumbs = useAppCrumbs(grant, app);
  const message = useApi((signal) => get(`/v1/apps/${enc(app)}/messages/${enc(msg)}`, null, { signal }), [app, msg]);
  const attempts = useApi((signal) => get(`/v1/apps/${enc(app)}/messages/${enc(msg)}/attempts`, { limit: 250 }, { signal }), [app, msg]);
  const endpoints = useApi((signal) => get(`/v1/apps/${enc(app)}/endpoints`, { limit: 250 }, { signal }), [app]);
  const [opened, setOpened] = useState(null);
  const urls = Object.fromEntries(((endpoints.data && endpoints.data.data) || []).map((e) => [e.id, e.url]));
  if (message.error) return html`<${Page} title="Message" crumbs=${crumbs}><${ErrorNote} error=${message.error} /><//>`;
  if (!message.data) return html`<${Loading} what="Loading the message" />`;
  const byEndpoint = {};
  for (const attempt of (attempts.data && attempts.data.data) || []) {
    (byEndpoint[attempt.endpoint_id] = byEndpoint[attempt.endpoint_id] || []).push(attempt);
  }
  const m = message.data;
  return html`<${Page} title=${m.event_type} subtitle=${html`Message <${Code}>${m.id}<//> · <${Time} at=${m.timestamp} />`}
      crumbs=${[...crumbs, ["Messages", `/apps/${enc(app)}/messages`]]}>
    <${Section} title="Payload" id="payload">
      ${m.expunged && html`<p class="muted">The payload was removed (retention or erasure).</p>`}
      <${Json} value=${m.payload} label="Message payload" />
      ${m.channels && m.channels.length > 0 && html`<p class="muted">Channels: ${m.channels.join(", ")}</p>`}
    <//>
    <${Section} title="Attempts per endpoint" id="attempts">
      <${ErrorNote} error=${attempts.error} />
      ${attempts.loading && !attempts.data && html`<${Loading} what="Loading attempts" />`}
      ${attempts.data && !attempts.data.data.length && html`<${Empty} title="No attempts yet">No endpoint of this app subscribed to the message, or its delivery is still on its way.<//>`}
      ${Object.entries(byEndpoint).map(([endpoint, list]) => html`<div class="endpoint-group">
        <h3><${Link} to=${`/apps/${enc(app)}/endpoints/${enc(endpoint)}`}>${urls[endpoint] || endpoint}<//>
          ${urls[endpoint] && html` <span class="muted small">${endpoint}</span>`}</h3>
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Try</th><th scope="col">Outcome</th><th scope="col">HTTP</th><th scope="col">When</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${list.map((a) => html`<tr>
            <td>${a.attempt}</td><td><${Outcome} outcome=${a.outcome} /></td>
            <td><${HttpStatus} status=${a.response ? a.response.status : null} /></td><td><${Time} at=${a.timestamp} /></td>
            <td class="row-actions"><button type="button" class="btn btn-small" aria-expanded=${opened === a.id}
              aria-label=${`Details of attempt ${a.id}`} onClick=${() => setOpened(opened === a.id ? null : a.id)}>${opened === a.id ? "Hide" : "Details"}</button></td>
          </tr>${opened === a.id && html`<tr class="detail-row"><td colspan="5"><${AttemptDetail} attempt=${a} /></td></tr>`}`)}</tbody>
        </table></div>
        ${!grant.readOnly && html`<${Action} label=${`Resend to ${urls[endpoint] || endpoint}`} run=${async () => {
          await post(`/v1/apps/${enc(app)}/messages/${enc(msg)}/endpoints/${enc(endpoint)}/resend`);
          attempts.reload();
        }}>Resend to this endpoint<//>`}
      </div>`)}
    <//>
  <//>`;
}

export function AttemptPage({ params, grant }) {
  const { app, atm } = params;
  const crumbs = useAppCrumbs(grant, app);
  const attempt = useApi((signal) => get(`/v1/apps/${enc(app)}/attempts/${enc(atm)}`, null, { signal }), [app, atm]);
  if (attempt.error) return html`<${Page} title="Attempt" crumbs=${crumbs}><${ErrorNote} error=${attempt.error} /><//>`;
  if (!attempt.data) return html`<${Loading} what="Loading the attempt" />`;
  const a = attempt.data;
  return html`<${Page} title=${`Attempt ${a.attempt}`} subtitle=${html`<${Code}>${a.id}<//>`}
      crumbs=${[...crumbs, [a.endpoint_id, `/apps/${enc(app)}/endpoints/${enc(a.endpoint_id)}`]]}
      actions=${html`<button type="button" class="btn" onClick=${() => navigate(`/apps/${enc(app)}/messages/${enc(a.message_id)}`)}>Open message</button>`}>
    <${AttemptDetail} attempt=${a} />
  <//>`;
}
