// Create or edit an endpoint. Each API error is shown beside the field it names.
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { get, patch, post } from "../api.js";
import { enc, navigate } from "../router.js";
import { ErrorNote, Field, Loading, Page, useApi, useAppCrumbs } from "../ui.js";

const SAMPLE = JSON.stringify(
  { type: "invoice.paid", timestamp: new Date().toISOString(), data: { invoice_id: "inv_1", amount: 4200 } },
  null,
  2,
);

function headersText(headers) {
  return Object.entries(headers || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
}

function parseHeaders(text) {
  const found = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const cut = line.indexOf(":");
    if (cut < 1) throw new Error(`"${line.trim()}" is not "Name: value"`);
    found[line.slice(0, cut).trim()] = line.slice(cut + 1).trim();
  }
  return found;
}

const FIELDS = ["url", "description", "event_types", "channels", "filter", "version", "transform", "headers", "rate_limit", "max_in_flight"];

const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

function initial(endpoint) {
  const types = endpoint ? endpoint.event_types : null;
  const everything = !types || !types.length || types.includes("*");
  return {
    url: endpoint ? endpoint.url : "",
    description: (endpoint && endpoint.description) || "",
    everything,
    types: everything ? [] : types,
    channels: endpoint && endpoint.channels ? endpoint.channels.join(", ") : "",
    filter: endpoint && endpoint.filter && Object.keys(endpoint.filter).length ? JSON.stringify(endpoint.filter, null, 2) : "",
    version: (endpoint && endpoint.version) || "",
    transform: (endpoint && endpoint.transform) || "",
    headers: headersText(endpoint && endpoint.headers),
    rate_limit: endpoint && endpoint.rate_limit ? String(endpoint.rate_limit) : "",
    max_in_flight: endpoint && endpoint.max_in_flight ? String(endpoint.max_in_flight) : "",
    ordered: Boolean(endpoint && endpoint.ordered),
    enabled: endpoint ? endpoint.enabled : true,
  };
}

function FilterTest({ filter }) {
  const [sample, setSample] = useState(SAMPLE);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const test = async () => {
    setResult(null);
    setError(null);
    try {
      const parsedFilter = filter.trim() ? JSON.parse(filter) : {};
      const payload = JSON.parse(sample);
      setResult((await post("/v1/filters/test", { filter: parsedFilter, payload })).matches);
    } catch (caught) {
      setError(caught.status === 404 && caught.code !== "not_found" ? "This hookbus cannot test filters yet." : caught.message);
    }
  };
  return html`<div class="filter-test">
    <${Field} id="filter-sample" label="Sample envelope" hint="What an endpoint receives: type, timestamp and data.">
      <textarea id="filter-sample" rows="6" class="mono" value=${sample} onInput=${(e) => setSample(e.target.value)}></textarea>
    <//>
    <button type="button" class="btn" onClick=${test}>Test filter</button>
    ${result !== null && html`<span class=${`note ${result ? "good" : "bad"}`} role="status">${result ? "Matches: this message would be delivered" : "Does not match: this message would be skipped"}</span>`}
    ${error && html`<span class="error inline" role="alert">${error}</span>`}
  </div>`;
}

export function EndpointForm({ params, grant }) {
  const { app, ep } = params;
  const editing = Boolean(ep);
  const endpoint = useApi(
    (signal) => (editing ? get(`/v1/apps/${enc(app)}/endpoints/${enc(ep)}`, null, { signal }) : Promise.resolve(null)),
    [app, ep],
  );
  const catalogue = useApi((signal) => get("/v1/event-types", { limit: 250 }, { signal }), []);
  const [form, setForm] = useState(null);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const crumbs = useAppCrumbs(grant, app);
  // A refused form takes the keyboard to the first field the API named.
  useEffect(() => {
    const first = FIELDS.find((name) => errors[name]);
    const input = first && document.getElementById(`ep-${first}`);
    if (input) input.focus();
  }, [errors]);
  useEffect(() => {
    if (!endpoint.loading && !form) setForm(initial(endpoint.data));
  }, [endpoint.loading]);
  const appPage = `/apps/${enc(app)}`;
  const title = editing ? "Edit endpoint" : "Add endpoint";
  if (grant.readOnly) return html`<${Page} title=${title}><p class="error" role="alert">This link is read-only.</p><//>`;
  if (endpoint.error) return html`<${Page} title=${title} crumbs=${crumbs}><${ErrorNote} error=${endpoint.error} /><//>`;
  if (!form) return html`<${Loading} what="Loading the form" />`;
  const set = (name) => (event) => {
    const target = event.target;
    setForm({ ...form, [name]: target.type === "checkbox" ? target.checked : target.value });
  };
  const types = (catalogue.data && catalogue.data.data) || [];
  const versions = [...new Set(types.flatMap((t) => (t.versions || []).map((v) => v.name)))];
  const toggleType = (name) => {
    const chosen = form.types.includes(name) ? form.types.filter((t) => t !== name) : [...form.types, name];
    setForm({ ...form, types: chosen });
  };
  const known = new Set(types.map((t) => t.name));
  const others = form.types.filter((t) => !known.has(t)).join(", ");

  const body = () => {
    const problems = {};
    const out = {
      url: form.url.trim(),
      description: form.description,
      event_types: form.everything ? null : form.types,
      channels: list(form.channels).length ? list(form.channels) : null,
      transform: form.transform.trim() || null,
      rate_limit: form.rate_limit ? Number(form.rate_limit) : null,
      ordered: form.ordered,
      enabled: form.enabled,
    };
    if (!form.everything && !form.types.length) problems.event_types = "Choose at least one event type, or Everything.";
    try {
      out.filter = form.filter.trim() ? JSON.parse(form.filter) : null;
    } catch (error) {
      problems.filter = `Not JSON: ${error.message}`;
    }
    // Credential headers are read back masked ("****"): sent only when changed, so saving
    // other fields never overwrites them with the mask.
    if (!editing || form.headers !== headersText(endpoint.data && endpoint.data.headers)) {
      try {
        out.headers = parseHeaders(form.headers);
      } catch (error) {
        problems.headers = error.message;
      }
    }
    // Fields older servers may not know are only sent when set (or already there).
    if (form.version || (endpoint.data && "version" in endpoint.data)) out.version = form.version || null;
    if (form.max_in_flight || (endpoint.data && "max_in_flight" in endpoint.data)) {
      out.max_in_flight = form.max_in_flight ? Number(form.max_in_flight) : null;
    }
    return [out, problems];
  };
  const submit = async (event) => {
    event.preventDefault();
    const [out, problems] = body();
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const saved = editing
        ? await patch(`/v1/apps/${enc(app)}/endpoints/${enc(ep)}`, out)
        : await post(`/v1/apps/${enc(app)}/endpoints`, out);
      navigate(`${appPage}/endpoints/${enc(saved.id)}`);
    } catch (error) {
      const fields = error.byField ? error.byField(FIELDS) : {};
      setErrors({ ...fields, form: Object.keys(fields).length ? null : error.message });
    } finally {
      setBusy(false);
    }
  };
  const field = (name, label, input, hint) =>
    html`<${Field} id=${`ep-${name}`} label=${label} error=${errors[name]} hint=${hint}>${input}<//>`;
  return html`<${Page} title=${title} crumbs=${crumbs}>
    <form class="card form" onSubmit=${submit} novalidate aria-label=${title}>
      ${errors.form && html`<p class="error" role="alert">${errors.form}</p>`}
      ${field("url", "URL", html`<input id="ep-url" type="url" required value=${form.url} onInput=${set("url")}
        placeholder="https://example.com/webhooks" aria-invalid=${Boolean(errors.url)} />`)}
      ${field("description", "Description", html`<input id="ep-description" value=${form.description} onInput=${set("description")} />`)}
      <fieldset class=${`field ${errors.event_types ? "has-error" : ""}`}>
        <legend>Event types</legend>
        <div class="radios">
          <label><input type="radio" name="ep-scope" checked=${form.everything} onChange=${() => setForm({ ...form, everything: true })} /> Send me everything</label>
          <label><input type="radio" name="ep-scope" checked=${!form.everything} onChange=${() => setForm({ ...form, everything: false })} /> Only chosen event types</label>
        </div>
        ${!form.everything && html`<div class="type-picker">
          ${catalogue.loading && html`<${Loading} what="Loading the catalogue" />`}
          ${!catalogue.loading && !types.length && html`<p class="muted small">The catalogue is empty: type names or patterns below.</p>`}
          ${types.map((t) => html`<label class="check"><input type="checkbox" checked=${form.types.includes(t.name)}
            onChange=${() => toggleType(t.name)} /> ${t.name}${t.description && html` <span class="muted small">${t.description}</span>`}</label>`)}
          <${Field} id="ep-other-types" label="Other types or patterns" hint="Comma-separated, e.g. invoice.* or environment:code:*">
            <input id="ep-other-types" value=${others} onChange=${(e) =>
              setForm({ ...form, types: [...form.types.filter((t) => known.has(t)), ...list(e.target.value)] })} />
          <//>
        </div>`}
        ${errors.event_types && html`<p class="error inline" role="alert">${errors.event_types}</p>`}
      </fieldset>
      ${field("channels", "Channels", html`<input id="ep-channels" value=${form.channels} onInput=${set("channels")} placeholder="eu, project-42" />`,
        "Comma-separated; empty receives every channel.")}
      ${field("filter", "Filter", html`<textarea id="ep-filter" rows="4" class="mono" value=${form.filter} onInput=${set("filter")}
        placeholder='{"$.data.environment.type": "production"}'></textarea>`, "JSONPath → expected value (or an operator such as {\"$gt\": 100}); all must hold. Empty delivers everything.")}
      <${FilterTest} filter=${form.filter} />
      <div class="row">
        ${versions.length
          ? field("version", "Webhook version", html`<select id="ep-version" value=${form.version} onChange=${set("version")}>
              <option value="">Current (always the newest)</option>
              ${versions.map((v) => html`<option value=${v}>${v}</option>`)}
            </select>`, "An older version is labelled Legacy.")
          : field("version", "Webhook version", html`<input id="ep-version" value=${form.version} onInput=${set("version")} placeholder="current" />`,
              "No event type has versions yet: the current shape is sent.")}
        ${field("transform", "Transform (JMESPath)", html`<input id="ep-transform" class="mono" value=${form.transform} onInput=${set("transform")}
          placeholder="merge(data, {event: type})" />`, "Wins over the version's shape.")}
      </div>
      ${field("headers", "Headers", html`<textarea id="ep-headers" rows="3" class="mono" value=${form.headers} onInput=${set("headers")}
        placeholder="x-api-key: abc123"></textarea>`, "One \"Name: value\" per line, sent with every delivery. Credentials read back as ****: retype them when you change this list.")}
      <div class="row">
        ${field("rate_limit", "Rate limit (per second)", html`<input id="ep-rate_limit" type="number" min="1" value=${form.rate_limit} onInput=${set("rate_limit")} placeholder="unlimited" />`)}
        ${field("max_in_flight", "Max in flight", html`<input id="ep-max_in_flight" type="number" min="1" max="1000" value=${form.max_in_flight} onInput=${set("max_in_flight")} placeholder="default" />`)}
      </div>
      <div class="checks">
        <label class="check"><input id="ep-ordered" type="checkbox" checked=${form.ordered} onChange=${set("ordered")} /> Ordered (one at a time, in publish order)</label>
        <label class="check"><input id="ep-enabled" type="checkbox" checked=${form.enabled} onChange=${set("enabled")} /> Enabled</label>
      </div>
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled=${busy}>${busy ? "Saving…" : editing ? "Save endpoint" : "Create endpoint"}</button>
        <button class="btn btn-ghost" type="button" onClick=${() => history.back()}>Cancel</button>
      </div>
    </form>
  <//>`;
}
