// The event-type catalogue: each type with its schema and its payload versions.
import { html, useState } from "../../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { Badge, Code, Empty, ErrorNote, Field, Json, Loading, Page, Section, useApi } from "../ui.js";

function Versions({ type }) {
  const versions = type.versions || [];
  if (!versions.length) return html`<span class="muted">one shape</span>`;
  return html`<ol class="versions">${versions.map((v, i) => html`<li>
    <strong>${v.name}</strong> ${i === versions.length - 1 ? html`<${Badge} tone="good">current<//>` : html`<${Badge} tone="warn">Legacy<//>`}
    ${v.transform && html` <${Code}>${v.transform}<//>`}
  </li>`)}</ol>
  ${type.version_header && html`<p class="muted small">Header <${Code}>${type.version_header}<//></p>`}`;
}

function NewEventType({ onCreated }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [schema, setSchema] = useState("");
  const [errors, setErrors] = useState({});
  const submit = async (event) => {
    event.preventDefault();
    const body = { name, description: description || undefined };
    try {
      if (schema.trim()) body.schema = JSON.parse(schema);
    } catch (error) {
      setErrors({ schema: `Not JSON: ${error.message}` });
      return;
    }
    setErrors({});
    try {
      await post("/v1/event-types", body);
      setName("");
      setDescription("");
      setSchema("");
      onCreated();
    } catch (error) {
      const fields = error.byField ? error.byField(["name", "description", "schema"]) : {};
      if (error.code === "conflict") fields.name = error.message;
      setErrors(Object.keys(fields).length ? fields : { form: error.message });
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-label="New event type">
    <h2>New event type</h2>
    <div class="row">
      <${Field} id="et-name" label="Name" error=${errors.name}><input id="et-name" required value=${name} onInput=${(e) => setName(e.target.value)} placeholder="invoice.paid" /><//>
      <${Field} id="et-description" label="Description" error=${errors.description}><input id="et-description" value=${description} onInput=${(e) => setDescription(e.target.value)} /><//>
    </div>
    <${Field} id="et-schema" label="JSON Schema (optional)" error=${errors.schema} hint="Messages of this type are checked against it when published.">
      <textarea id="et-schema" rows="4" class="mono" value=${schema} onInput=${(e) => setSchema(e.target.value)}></textarea>
    <//>
    ${errors.form && html`<p class="error" role="alert">${errors.form}</p>`}
    <div class="form-actions"><button class="btn btn-primary" type="submit">Add event type</button></div>
  </form>`;
}

export function EventTypesPage({ grant }) {
  const types = useApi((signal) => get("/v1/event-types", { limit: 250 }, { signal }), []);
  const [open, setOpen] = useState(null);
  return html`<${Page} title="Event types" subtitle="The catalogue endpoints subscribe from; a schema checks every message of its type.">
    ${!grant.portal && html`<${NewEventType} onCreated=${types.reload} />`}
    <${Section} title="Catalogue" id="catalogue">
      ${types.loading && !types.data && html`<${Loading} what="Loading event types" />`}
      <${ErrorNote} error=${types.error} />
      ${types.data && !types.data.data.length && html`<${Empty} title="The catalogue is empty">
        ${grant.portal ? "No event types are described yet." : "Add a type above; publishing works without one, but a catalogue lets endpoints pick types and checks payloads."}<//>`}
      ${types.data && types.data.data.length > 0 && html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Versions</th><th scope="col">Schema</th></tr></thead>
        <tbody>${types.data.data.map((t) => html`<tr>
          <td><${Code}>${t.name}<//></td>
          <td>${t.description || html`<span class="muted">—</span>`}</td>
          <td><${Versions} type=${t} /></td>
          <td>${t.schema
            ? html`<button type="button" class="btn btn-small" aria-expanded=${open === t.name}
                aria-label=${`Schema of ${t.name}`} onClick=${() => setOpen(open === t.name ? null : t.name)}>${open === t.name ? "Hide schema" : "Show schema"}</button>`
            : html`<span class="muted">none</span>`}</td>
        </tr>${open === t.name && html`<tr class="detail-row"><td colspan="4"><${Json} value=${t.schema} label=${`Schema of ${t.name}`} /></td></tr>`}`)}</tbody>
      </table></div>`}
    <//>
  <//>`;
}
