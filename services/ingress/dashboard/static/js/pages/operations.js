// Dead letters (with Redrive) and background tasks (with their progress).
import { html, useEffect, useState } from "../../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { Link, enc } from "../router.js";
import { Action, Badge, Code, Empty, ErrorNote, Field, Json, Loading, Page, Section, Time, useApi } from "../ui.js";

const TASK_TONES = { running: "warn", done: "good", failed: "bad" };

export function Progress({ done, total, label }) {
  const max = Math.max(total || 0, done || 0, 1);
  return html`<span class="progress-wrap">
    <progress max=${max} value=${done || 0} aria-label=${label}></progress>
    <span class="small">${done || 0} / ${total ?? "?"}</span>
  </span>`;
}

// A task's progress, followed until it ends. Quiet when tasks cannot be read (a portal link).
export function TaskProgress({ id }) {
  const [task, setTask] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const load = async () => {
      try {
        const found = await get(`/v1/tasks/${enc(id)}`);
        if (stopped) return;
        setTask(found);
        if (found.status === "running") timer = setTimeout(load, 1000);
      } catch (caught) {
        if (!stopped) setError(caught);
      }
    };
    load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);
  if (error) return error.status === 403 || error.status === 404 ? null : html`<${ErrorNote} error=${error} />`;
  if (!task) return html`<${Loading} what="Loading the task" />`;
  return html`<p class="task-line" role="status">
    Task <${Code}>${task.id}<//> <${Badge} tone=${TASK_TONES[task.status]}>${task.status}<//>
    <${Progress} done=${task.done} total=${task.total} label="Task progress" />
  </p>`;
}

export function TasksPage() {
  const tasks = useApi((signal) => get("/v1/tasks", { limit: 100 }, { signal }), []);
  const running = tasks.data && tasks.data.data.some((t) => t.status === "running");
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(tasks.reload, 1500);
    return () => clearTimeout(timer);
  }, [tasks.data]);
  return html`<${Page} title="Tasks" subtitle="Replays and recoveries run in the background; their progress is kept.">
    <${Section} title="Newest first" id="tasks">
      ${tasks.loading && !tasks.data && html`<${Loading} what="Loading tasks" />`}
      <${ErrorNote} error=${tasks.error} feature="Background tasks" />
      ${tasks.data && !tasks.data.data.length &&
      html`<${Empty} title="No tasks yet">Recover an endpoint's failed deliveries from its page, or start a replay with POST /v1/apps/{app}/replay.<//>`}
      ${tasks.data && tasks.data.data.length > 0 && html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Task</th><th scope="col">Kind</th><th scope="col">Status</th>
          <th scope="col">Progress</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
        <tbody>${tasks.data.data.map((task) => html`<tr>
          <td><${Code}>${task.id}<//></td><td>${task.kind}</td>
          <td><${Badge} tone=${TASK_TONES[task.status]}>${task.status}<//></td>
          <td><${Progress} done=${task.done} total=${task.total} label=${`Progress of ${task.id}`} /></td>
          <td><${Time} at=${task.created_at} /></td><td><${Time} at=${task.finished_at} /></td>
        </tr>`)}</tbody></table></div>`}
    <//>
  <//>`;
}

// What a dead letter was for, each id a link to its page.
function Origin({ ids }) {
  const app = ids.app_id;
  const links = [
    [app, app && `/apps/${enc(app)}`],
    [ids.endpoint_id, app && ids.endpoint_id && `/apps/${enc(app)}/endpoints/${enc(ids.endpoint_id)}`],
    [ids.message_id, app && ids.message_id && `/apps/${enc(app)}/messages/${enc(ids.message_id)}`],
    [ids.inbound_id, ids.inbound_id && `/inbound/${enc(ids.inbound_id)}`],
  ];
  return links.filter(([id]) => id).map(([id, to]) =>
    html`<div>${to ? html`<${Link} class="mono" to=${to}>${id}<//>` : html`<${Code}>${id}<//>`}</div>`);
}

function DeadLetterRow({ letter }) {
  const [open, setOpen] = useState(false);
  const [redriven, setRedriven] = useState(false);
  const id = letter.id || `${letter.topic}/${letter.partition}/${letter.offset}`;
  const origin = letter.origin || {};
  return html`<tr>
      <td><${Code}>${id}<//></td>
      <td><${Badge} tone=${letter.kind === "exhausted" ? "bad" : "warn"}>${letter.kind}<//></td>
      <td class="wrap">${letter.reason}</td>
      <td class="small"><${Origin} ids=${{ ...origin, ...letter }} /></td>
      <td><${Time} at=${letter.at || letter.created_at} /></td>
      <td class="row-actions">
        <button type="button" class="btn btn-small" aria-expanded=${open} onClick=${() => setOpen(!open)}
          aria-label=${`Details of ${id}`}>${open ? "Hide" : "Details"}</button>
        ${letter.kind === "exhausted" && letter.id && (redriven
          ? html`<span class="note">Sent again</span>`
          : html`<${Action} kind="btn-small" label=${`Redrive ${id}`}
              run=${async () => { await post(`/v1/dead-letters/${enc(letter.id)}/redrive`); setRedriven(true); }}>Redrive<//>`)}
      </td>
    </tr>
    ${open && html`<tr class="detail-row"><td colspan="6"><${Json} value=${letter.record ?? letter} label="Dead record" /></td></tr>`}`;
}

export function DeadLettersPage() {
  const [kind, setKind] = useState("");
  const letters = useApi((signal) => get("/v1/dead-letters", { kind, limit: 100 }, { signal }), [kind]);
  return html`<${Page} title="Dead letters" subtitle="Records hookbus could not process, and deliveries that ran out of retries.">
    <${Section} title="Dead letters" id="dead" actions=${html`
      <${Field} id="dl-kind" label="Kind">
        <select id="dl-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
          <option value="">All</option><option value="exhausted">Exhausted deliveries</option>
          <option value="bad_record">Bad records</option>
        </select>
      <//>`}>
      ${letters.loading && !letters.data && html`<${Loading} what="Loading dead letters" />`}
      <${ErrorNote} error=${letters.error} feature="The dead-letter list" />
      ${letters.data && !letters.data.data.length &&
      html`<${Empty} title="Nothing is dead-lettered">Deliveries that exhaust their retries and records that fail their contract show up here.<//>`}
      ${letters.data && letters.data.data.length > 0 && html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Dead letter</th><th scope="col">Kind</th><th scope="col">Reason</th>
          <th scope="col">Origin</th><th scope="col">When</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${letters.data.data.map((letter) => html`<${DeadLetterRow} letter=${letter} />`)}</tbody>
      </table></div>`}
    <//>
  <//>`;
}
