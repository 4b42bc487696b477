// callscreen manager page: plain JavaScript, no framework, no network beyond this server (works offline).
// People log in with a password: the session is an HTTP-only cookie the script never sees; every change sends
// the session's CSRF token (from the log-in answer or /me) in X-CSRF-Token.
"use strict";

const API = "/api/v1";
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const $ = (sel, root = document) => root.querySelector(sel);
let me = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function showError(message) { $("#error").textContent = message || ""; }

async function call(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (me && me.csrf_token) headers["X-CSRF-Token"] = me.csrf_token;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(API + path, { method: options.method || "GET", headers, body: options.body });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      if (body.errors) detail += " — " + body.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`).join("; ");
    } catch (_) { /* not JSON */ }
    throw new Error(`${response.status}: ${detail}`);
  }
  if (options.raw) return response;
  return response.status === 204 ? null : response.json();
}

function fmtTime(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

async function download(path, filename) {
  const response = await call(path, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

// ---- review queue ----
async function loadReview() {
  const queue = await call("/review?limit=200");
  const rows = queue.data.map((e) => el("tr", { "data-entry": String(e.id) },
    el("td", {}, e.value), el("td", {}, e.list), el("td", {}, e.source), el("td", {}, e.reason),
    el("td", {}, String(e.flagged_calls)), el("td", {}, fmtTime(e.last_call_at)),
    el("td", {},
      el("button", { class: "approve", "data-testid": `approve-${e.id}`, onclick: () => decide(e.id, "approve") }, "Approve"),
      " ",
      el("button", { class: "lift", "data-testid": `lift-${e.id}`, onclick: () => decide(e.id, "lift") }, "Lift"))));
  fill($("#tab-review tbody"), rows);
  $("#tab-review .empty").hidden = rows.length > 0;
}

async function decide(id, action) {
  try {
    await call(`/review/${id}/${action}`, { method: "POST" });
    await loadReview();
  } catch (err) { showError(err.message); }
}

// ---- lists ----
function listQuery() {
  const form = new FormData($("#list-filter"));
  const params = new URLSearchParams();
  for (const [k, v] of form) if (v) params.set(k, v);
  return params;
}

async function loadLists() {
  const params = listQuery();
  params.set("limit", "200");
  const page = await call(`/lists/entries?${params}`);
  const admin = me.role === "admin";
  fill($("#tab-lists tbody"), page.data.map((e) => el("tr", {},
    el("td", {}, e.list), el("td", {}, e.kind), el("td", {}, e.value), el("td", {}, e.status),
    el("td", {}, e.source), el("td", {}, e.reason), el("td", {}, fmtTime(e.expires_at)),
    el("td", {}, admin ? el("button", { onclick: () => removeEntry(e.id) }, "Delete") : ""))));
  $("#list-count").textContent = `${page.data.length} of ${page.count} entries`;
}

async function removeEntry(id) {
  try { await call(`/lists/entries/${id}`, { method: "DELETE" }); await loadLists(); } catch (err) { showError(err.message); }
}

// ---- reports ----
function barChart(values, labels, width, height) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", "100%");
  svg.setAttribute("role", "img");
  const max = Math.max(1, ...values);
  const slot = width / values.length;
  const plot = height - 16;
  values.forEach((v, i) => {
    const h = (v / max) * (plot - 10);
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("class", "bar");
    rect.setAttribute("x", String(i * slot + 2));
    rect.setAttribute("y", String(plot - h));
    rect.setAttribute("width", String(Math.max(1, slot - 4)));
    rect.setAttribute("height", String(h));
    rect.setAttribute("data-value", String(v));
    const title = document.createElementNS(ns, "title");
    title.textContent = `${labels[i]}: ${v}`;
    rect.append(title);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", String(i * slot + slot / 2));
    text.setAttribute("y", String(height - 3));
    text.setAttribute("text-anchor", "middle");
    text.textContent = labels[i];
    svg.append(rect, text);
  });
  return svg;
}

function counts(id, pairs) {
  fill($(`#${id} tbody`), pairs.map((p) => el("tr", {}, el("td", {}, p.key), el("td", {}, String(p.count)))));
}

function reportQuery() {
  const form = new FormData($("#report-form"));
  const params = new URLSearchParams();
  const since = form.get("since");
  const until = form.get("until");
  if (since) params.set("since", new Date(`${since}T00:00:00`).toISOString());
  if (until) params.set("until", new Date(`${until}T23:59:59`).toISOString());
  return params;
}

async function loadReports() {
  const r = await call(`/reports/summary?${reportQuery()}`);
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const figures = [
    ["Calls screened", r.total_calls], ["Harassment", r.harassment_calls], ["Suspect", r.suspect_calls],
    ["Agent-confirmed", r.agent_confirmed], ["Automatic", r.automatic], ["Deterred", r.deterred_calls],
    ["Agent time saved (est.)", `${Math.round(r.agent_seconds_saved / 60)} min`],
    ["Anonymous", pct(r.share_anonymous)], ["Pay phones", pct(r.share_payphone)], ["Switchboards", pct(r.share_switchboard)],
  ];
  fill($("#figures"), figures.map(([k, v]) => el("div", { class: "figure" }, el("b", {}, String(v)), k)));
  $("#chart-hour").replaceChildren(barChart(r.by_hour, r.by_hour.map((_, h) => String(h)), 720, 180));
  $("#chart-weekday").replaceChildren(barChart(r.by_weekday, WEEKDAYS, 360, 180));
  counts("top-sources", r.top_sources);
  counts("top-prefixes", r.top_prefixes);
  counts("repeat", r.repeat_offenders);
}

// ---- incidents and bills ----
async function loadIncidents() {
  const page = await call("/incidents?limit=200");
  fill($("#tab-incidents tbody"), page.data.map((i) => el("tr", {},
    el("td", {}, fmtTime(i.occurred_at)), el("td", {}, i.agent), el("td", {}, i.note), el("td", {}, i.call_id || ""))));
}

async function loadBills() {
  const bills = await call("/bills");
  fill($("#match-form select"), bills.map((b) =>
    el("option", { value: String(b.id) }, `#${b.id} ${b.filename} (${b.line_count} lines)`)));
}

async function matchBill(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const result = await call(`/bills/${form.get("bill")}/matches?tolerance_s=${form.get("tolerance")}`);
  fill($("#tab-bills tbody"), result.candidates.map((c) => el("tr", {},
    el("td", {}, c.number), el("td", {}, String(c.incidents_matched)), el("td", {}, String(c.bill_calls)),
    el("td", {}, String(c.mean_offset_s)),
    el("td", {}, el("button", { onclick: () => download(`/reports/evidence?format=csv&number=${encodeURIComponent(c.number)}`,
      "evidence.csv") }, "Evidence")))));
}

// ---- wiring ----
const loaders = { review: loadReview, lists: loadLists, reports: loadReports, incidents: loadIncidents, bills: loadBills };

async function showTab(name) {
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== `tab-${name}`;
  showError("");
  try { await loaders[name](); } catch (err) { showError(err.message); }
}

function submitting(selector, action) {
  $(selector).addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    try { await action(event.target); } catch (err) { showError(err.message); }
  });
}

async function banner() {
  try {
    const response = await fetch("/readyz");
    if (response.status === 404) return;
    const body = await response.json();
    if (body.status !== "ok") {
      $("#banner").textContent = `${body.status.toUpperCase()}: ${body.mode}. ${body.problems.join("; ")}`;
      $("#banner").hidden = false;
    }
  } catch (_) { /* no health router mounted */ }
}

async function enter(who) {
  me = who || await call("/me");
  $("#who").textContent = `${me.label || me.username || "key " + me.key_id} (${me.role})`;
  $("#login").hidden = true;
  $("#logout").hidden = false;
  if (me.must_change_password) { $("#password-change").hidden = false; return; }
  $("#password-change").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  for (const f of document.querySelectorAll(".admin-only")) f.hidden = me.role !== "admin";
  await showTab("review");
}

function init() {
  for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const who = await call("/auth/login", { method: "POST", json: { username: form.get("username"), password: form.get("password") } });
      $("#login-error").textContent = "";
      $("#password").value = "";
      await enter(who);
    } catch (err) { $("#login-error").textContent = err.message; }
  });
  $("#password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call("/auth/password", { method: "POST", json: Object.fromEntries(new FormData(event.target)) });
      location.reload();  // the change ends every session: log in again with the new password
    } catch (err) { $("#password-error").textContent = err.message; }
  });
  $("#logout").addEventListener("click", async () => {
    await call("/auth/logout", { method: "POST" }).catch(() => null);
    location.reload();
  });
  submitting("#list-filter", loadLists);
  submitting("#entry-form", async (form) => {
    const data = Object.fromEntries(new FormData(form));
    await call("/lists/entries", { method: "POST", json: data });
    form.reset();
    await loadLists();
  });
  submitting("#import-form", async (form) => {
    const list = new FormData($("#list-filter")).get("list") || "block";
    const result = await call(`/lists/import?list=${list}`, { method: "POST", body: new FormData(form) });
    $("#import-result").textContent = `${result.created} added, ${result.skipped_existing} already present`;
    await loadLists();
  });
  $("#export-list").addEventListener("click", () => download(`/lists/export?${listQuery()}`, "list.csv").catch((e) => showError(e.message)));
  submitting("#report-form", loadReports);
  $("#export-report").addEventListener("click", () => download(`/reports/export.csv?${reportQuery()}`, "report.csv").catch((e) => showError(e.message)));
  submitting("#incident-form", async (form) => {
    const data = new FormData(form);
    await call("/incidents", { method: "POST", json: { occurred_at: new Date(data.get("occurred_at")).toISOString(), note: data.get("note") } });
    form.reset();
    await loadIncidents();
  });
  submitting("#bill-form", async (form) => {
    await call("/bills", { method: "POST", body: new FormData(form) });
    form.reset();
    await loadBills();
  });
  submitting("#match-form", async (form) => matchBill({ preventDefault() {}, target: form }));
  banner();
  enter().catch(() => { me = null; });  // resumes a session whose cookie is still valid
}

init();
