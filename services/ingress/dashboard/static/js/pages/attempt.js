// One delivery attempt opened: the request hookbus sent and the response it got.
import { html } from "../../vendor/preact-htm.js";
import { Headers, HttpStatus, Json, Outcome, Time } from "../ui.js";

export function AttemptDetail({ attempt }) {
  const request = attempt.request || {};
  const response = attempt.response;
  return html`<div class="attempt-detail">
    <div class="panel" aria-label="Request">
      <h3>Request</h3>
      <p class="mono wrap"><span class="method">${request.method || "POST"}</span> ${request.url}</p>
      <h4>Headers</h4>
      <${Headers} headers=${request.headers} label="Request headers" />
      <h4>Body</h4>
      <${Json} value=${request.body ?? ""} label="Request body" />
    </div>
    <div class="panel" aria-label="Response">
      <h3>Response</h3>
      <p class="facts">
        <span>Status <${HttpStatus} status=${response ? response.status : null} /></span>
        <span>Duration <strong>${attempt.duration_ms ?? "—"} ms</strong></span>
        <span>Outcome <${Outcome} outcome=${attempt.outcome} /></span>
        <span>Attempt <strong>${attempt.attempt}</strong></span>
        <span><${Time} at=${attempt.timestamp} /></span>
      </p>
      ${attempt.error && html`<p class="error">${attempt.error}</p>`}
      ${response
        ? html`<h4>Headers</h4><${Headers} headers=${response.headers} label="Response headers" />
            <h4>Body</h4><${Json} value=${response.body ?? ""} label="Response body" />`
        : html`<p class="muted">No response was received.</p>`}
    </div>
  </div>`;
}
