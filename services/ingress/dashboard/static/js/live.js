// A list kept live, newest first: one page from the log, then each new item from an event
// stream (Server-Sent Events), or, when the server has no stream, by asking again every 2 s.
import { html, useEffect, useState } from "../vendor/preact-htm.js";
import { get, stream } from "./api.js";

const POLL_MS = 2000;
const RECONNECT_MS = 1000;

// `path` and `params` name the list; `streamPath` the stream; `accept(type, item)` picks the
// stream's events that belong in the list. `deps` restart it all.
export function useLiveList({ path, params, streamPath, accept, limit = 50 }, deps) {
  const [state, setState] = useState({ items: null, error: null, cursor: null, live: null });
  useEffect(() => {
    if (!path) return undefined;
    const abort = new AbortController();
    const query = { ...params, limit };
    const merge = (fresh) =>
      setState((old) => {
        const known = new Set((old.items || []).map((item) => item.id));
        const added = fresh.filter((item) => !known.has(item.id));
        if (!added.length) return old;
        // Ids sort by creation time: newest first, whichever way each item came.
        const items = [...added, ...(old.items || [])].sort((a, b) => (a.id < b.id ? 1 : -1));
        return { ...old, items };
      });
    let timer = null;
    const refresh = async () => {
      try {
        const page = await get(path, query, { signal: abort.signal });
        merge(page.data.filter((item) => accept(null, item)));
      } catch {
        // A failed refresh is tried again on the next tick (or the stream brings it).
      }
    };
    const poll = async () => {
      await refresh();
      if (!abort.signal.aborted) timer = setTimeout(poll, POLL_MS);
    };
    const follow = async () => {
      let last = null;
      try {
        for (;;) {
          // What was stored between the first page and the stream's start comes by a second
          // look once the stream is open; from then on the stream brings everything.
          const opened = last === null ? refresh : () => {};
          last = await stream(streamPath, (type, item) => accept(type, item) && merge([item]), abort.signal, last, opened);
          if (abort.signal.aborted) return;
          // The server ended the stream: take it up again where it stopped, after a breath.
          await new Promise((resume) => setTimeout(resume, RECONNECT_MS));
        }
      } catch (error) {
        if (abort.signal.aborted || error.name === "AbortError") return;
        setState((old) => ({ ...old, live: "polling" }));
        poll();
      }
    };
    get(path, query, { signal: abort.signal }).then(
      (page) => {
        setState({ items: page.data, error: null, cursor: page.next_cursor, live: "stream" });
        follow();
      },
      (error) => error.name !== "AbortError" && setState({ items: null, error, cursor: null, live: null }),
    );
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [path, ...deps]);
  const more = async () => {
    const page = await get(path, { ...params, limit, cursor: state.cursor });
    setState((old) => ({ ...old, items: [...old.items, ...page.data], cursor: page.next_cursor }));
  };
  return { ...state, more };
}

export function LiveBadge({ live }) {
  if (live === "stream") return html`<span class="live" role="status">● Live</span>`;
  if (live === "polling") return html`<span class="live" role="status">● Live (polling)</span>`;
  return null;
}
