// The public /v1 API, called with the signed-in token. Every page goes through here.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `hookbus answered ${status}`);
    this.status = status;
    this.code = error.code || "http_error";
    this.details = error.details;
  }

  // The error's messages by field name, for the fields a form has (`known`): from validation
  // details ([{path, msg}]), a details path, or details keyed by field name ({"url": ...}).
  byField(known) {
    const found = {};
    const details = this.details;
    if (Array.isArray(details)) {
      for (const item of details) {
        const field = String((item && item.path) || "").split(".")[0];
        if (field && !found[field]) found[field] = item.msg || this.message;
      }
    } else if (details && typeof details === "object") {
      if (typeof details.path === "string") {
        found[details.path.replace(/^\$?\.?/, "").split(/[.[]/)[0]] = this.message;
      }
      for (const key of Object.keys(details)) found[key] = found[key] || this.message;
    }
    return Object.fromEntries(Object.entries(found).filter(([field]) => known.includes(field)));
  }
}

let token = null;
let onRefused = () => {};

export function setToken(value) {
  token = value;
}

// Called when the API refuses the token (401): the app signs out and says why.
export function onUnauthorized(handler) {
  onRefused = handler;
}

export function query(path, params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export async function request(method, path, body, options = {}) {
  const headers = { authorization: `Bearer ${token}` };
  const init = { method, headers, signal: options.signal };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let answer;
  try {
    answer = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { error: { code: "unreachable", message: "hookbus did not answer" } });
  }
  if (answer.status === 204) return null;
  const text = await answer.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!answer.ok) {
    const error = new ApiError(answer.status, data);
    if (answer.status === 401) onRefused(error);
    throw error;
  }
  return data;
}

export const get = (path, params, options) => request("GET", query(path, params), undefined, options);
export const post = (path, body) => request("POST", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

// Follow an SSE stream (fetch, since EventSource cannot send the token). Calls onOpen() once
// it answered, onEvent(type, data) per event; resolves with the last event id when the stream
// ends, rejects with ApiError if refused (e.g. 404).
export async function stream(path, onEvent, signal, lastId, onOpen = () => {}) {
  const headers = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
  if (lastId) headers["last-event-id"] = lastId;
  const answer = await fetch(path, { headers, signal });
  if (!answer.ok || !answer.body) {
    let data = null;
    try {
      data = await answer.json();
    } catch {
      data = null;
    }
    throw new ApiError(answer.status, data);
  }
  onOpen();
  const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last = lastId;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return last;
    buffer += value.replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let type = "message";
      const lines = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) type = line.slice(6).trim();
        else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
        else if (line.startsWith("id:")) last = line.slice(3).trim();
      }
      if (!lines.length) continue;
      try {
        onEvent(type, JSON.parse(lines.join("\n")));
      } catch {
        // An event that is not JSON is not one the pages know: skipped.
      }
    }
  }
}
