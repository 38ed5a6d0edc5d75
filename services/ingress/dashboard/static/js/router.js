// History-API routing: every page has its own URL under /dashboard or /portal, and the server
// answers each of them with the same shell, so a deep link can be bookmarked and shared.
import { html, useEffect, useState } from "../vendor/preact-htm.js";

export const BASE = location.pathname.startsWith("/portal") ? "/portal" : "/dashboard";
export const PORTAL = BASE === "/portal";
const CHANGED = "hookbus:navigate";

export function here() {
  const path = location.pathname.slice(BASE.length) || "/";
  return { path: path.length > 1 ? path.replace(/\/+$/, "") : path, search: location.search };
}

export function navigate(to, replace = false) {
  const url = BASE + to;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.dispatchEvent(new Event(CHANGED));
}

export function useLocation() {
  const [where, setWhere] = useState(here());
  useEffect(() => {
    const update = () => setWhere(here());
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGED, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGED, update);
    };
  }, []);
  return where;
}

// [pattern, view] pairs; patterns like "/apps/:app/endpoints/:ep". First match wins.
export function match(routes, path) {
  for (const [pattern, view] of routes) {
    const names = [];
    const source = pattern.replace(/:([a-z]+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    });
    const found = new RegExp(`^${source}$`).exec(path);
    if (found) {
      const params = {};
      names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1])));
      return { view, params };
    }
  }
  return null;
}

// A link inside the app: a real <a href> (opens in a new tab as usual), routed in place.
export function Link({ to, children, ...rest }) {
  const click = (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return html`<a href=${BASE + to} onClick=${click} ...${rest}>${children}</a>`;
}

export const enc = encodeURIComponent;
