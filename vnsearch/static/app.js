// vnsearch's search page: searches as you type, over the JSON API of the same server.
"use strict";

const LIMIT = 10;
const DEBOUNCE_MS = 180;
const LABELS = { tags: "Chủ đề", "date:year": "Năm" };

const $ = (id) => document.getElementById(id);
const state = { q: "", offset: 0, filters: [], facets: [] };
let sequence = 0; // answers to older requests are dropped
let timer = 0;

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.q = params.get("q") || "";
  state.offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  state.filters = params.getAll("filter");
}

function writeUrl() {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.offset) params.set("offset", String(state.offset));
  for (const f of state.filters) params.append("filter", f);
  const query = params.toString();
  history.replaceState(null, "", query ? "?" + query : location.pathname);
}

async function getJson(path, params) {
  const response = await fetch(path + "?" + params.toString(), { headers: { Accept: "application/json" } });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function element(tag, props, children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children || []) node.append(child);
  return node;
}

// Snippets and titles come as HTML from the server: document text escaped, matches in <mark>.
function marked(tag, html, className) {
  const node = element(tag, { className: className || "" });
  node.innerHTML = html;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

function formatDate(iso) {
  return iso ? iso.slice(0, 10).split("-").reverse().join("/") : "";
}

function renderHits(data) {
  const list = $("hits");
  list.replaceChildren();
  list.start = data.offset + 1;
  list.dataset.query = data.query; // which search the list shows (answers may arrive late)
  for (const hit of data.hits) {
    const title = marked("h3", "", "");
    const link = safeUrl(hit.url);
    const inner = marked(link ? "a" : "span", hit.title_html || "", "");
    if (!hit.title_html) inner.textContent = hit.title || hit.id;
    if (link) { inner.href = link; inner.rel = "noopener noreferrer"; }
    title.append(inner);
    const meta = [formatDate(hit.date), (hit.tags || []).join(", ")].filter(Boolean).join(" · ");
    const item = element("li", { className: "hit" }, [title]);
    if (meta) item.append(element("p", { className: "meta", textContent: meta }));
    for (const snippet of hit.snippets) item.append(marked("p", snippet, "snippet"));
    list.append(item);
  }
}

function renderFacets(data) {
  const aside = $("facets");
  aside.replaceChildren();
  for (const [name, counts] of Object.entries(data.facets || {})) {
    const entries = Object.entries(counts);
    const field = name.split(":")[0];
    const chosen = state.filters.filter((f) => f.startsWith(field + ":"));
    if (!entries.length && !chosen.length) continue;
    const list = element("ul");
    for (const [value, count] of entries.slice(0, 12)) {
      const filter = field + ":" + value;
      const active = state.filters.includes(filter);
      const button = element("button", { type: "button", className: "facet" }, [
        element("span", { className: "value", textContent: value }),
        element("span", { className: "count", textContent: count.toLocaleString("vi-VN") }),
      ]);
      button.setAttribute("aria-pressed", String(active));
      button.dataset.filter = filter;
      button.addEventListener("click", () => toggleFilter(filter));
      list.append(element("li", {}, [button]));
    }
    aside.append(element("section", {}, [element("h2", { textContent: LABELS[name] || name }), list]));
  }
}

function renderFilters() {
  const box = $("filters");
  box.replaceChildren();
  box.hidden = !state.filters.length;
  for (const filter of state.filters) {
    const button = element("button", { type: "button", textContent: filter + " ✕", title: "Bỏ lọc" });
    button.addEventListener("click", () => toggleFilter(filter));
    box.append(button);
  }
}

function renderPager(data) {
  const pager = $("pager");
  pager.hidden = data.pages <= 1;
  $("pageinfo").textContent = `Trang ${data.page} / ${data.pages}`;
  $("prev").disabled = data.offset === 0;
  $("next").disabled = data.offset + data.limit >= data.total;
}

function renderSuggestion(data) {
  const box = $("suggestion");
  box.hidden = !data.suggestion;
  $("suggested").textContent = data.suggestion || "";
}

async function search() {
  writeUrl();
  renderFilters();
  const mine = ++sequence;
  if (!state.q.trim() && !state.filters.length) {
    $("hits").replaceChildren();
    $("facets").replaceChildren();
    $("pager").hidden = true;
    $("suggestion").hidden = true;
    $("status").textContent = "";
    return;
  }
  const params = new URLSearchParams({ q: state.q, limit: String(LIMIT), offset: String(state.offset), prefix: "true" });
  for (const f of state.filters) params.append("filter", f);
  if (state.facets.length) params.set("facets", state.facets.join(","));
  try {
    const data = await getJson("search", params);
    if (mine !== sequence) return;
    $("status").textContent = data.total
      ? `${data.total.toLocaleString("vi-VN")} kết quả (${data.milliseconds} ms)`
      : "Không tìm thấy kết quả nào";
    renderHits(data);
    renderFacets(data);
    renderPager(data);
    renderSuggestion(data);
  } catch (error) {
    if (mine === sequence) $("status").textContent = "Lỗi: " + error.message;
  }
}

async function complete() {
  const q = state.q;
  if (!q.trim() || /\s$/.test(q)) return;
  try {
    const data = await getJson("complete", new URLSearchParams({ q, limit: "6" }));
    if (q !== state.q) return;
    $("completions").replaceChildren(...data.completions.map((text) => element("option", { value: text })));
  } catch (error) {
    // Completions are a help, not a need: a failure leaves the box as it is.
  }
}

function toggleFilter(filter) {
  const at = state.filters.indexOf(filter);
  if (at >= 0) state.filters.splice(at, 1);
  else state.filters.push(filter);
  state.offset = 0;
  search();
}

function setQuery(q) {
  $("q").value = q;
  state.q = q;
  state.offset = 0;
  search();
}

async function start() {
  readUrl();
  $("q").value = state.q;
  try {
    const stats = await getJson("stats", new URLSearchParams());
    state.facets = Object.entries(stats.fields)
      .filter(([, kind]) => kind === "keyword" || kind === "date")
      .map(([name, kind]) => (kind === "date" ? name + ":year" : name));
    $("q").placeholder = `Tìm trong ${stats.documents.toLocaleString("vi-VN")} văn bản, có dấu hoặc không dấu`;
  } catch (error) {
    $("status").textContent = "Lỗi: " + error.message;
  }
  $("q").addEventListener("input", () => {
    state.q = $("q").value;
    state.offset = 0;
    clearTimeout(timer);
    timer = setTimeout(() => { search(); complete(); }, DEBOUNCE_MS);
  });
  $("form").addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(timer); setQuery($("q").value); });
  $("suggested").addEventListener("click", (event) => { event.preventDefault(); setQuery($("suggested").textContent); });
  $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - LIMIT); search(); window.scrollTo(0, 0); });
  $("next").addEventListener("click", () => { state.offset += LIMIT; search(); window.scrollTo(0, 0); });
  if (state.q || state.filters.length) search();
}

document.addEventListener("DOMContentLoaded", start);
