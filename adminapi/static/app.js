// callscreen manager page: plain JavaScript, no framework, no network beyond this server (works offline).
// People log in with a password: the session is an HTTP-only cookie the script never sees; every change sends
// the session's CSRF token (from the log-in answer or /me) in X-CSRF-Token. Texts come from i18n.js; every time
// is shown in the centre's time zone (me.timezone), whatever the browser's own zone is.
"use strict";

const API = "/api/v1";
const PAGE = 50;
const ROLE_RANK = { agent: 0, manager: 1, admin: 2 };
const ENUMS = {
  route: ["agents", "agents_flagged", "analysis", "line_fault", "rejected", "fail_open", "abandoned", "media_timeout"],
  label: ["allow", "suspect", "harassment"],
  list: ["block", "allow", "payphone", "switchboard"],
  status: ["active", "proposed", "lifted"],
  kind: ["exact", "prefix", "range", "pattern"],
  role: ["agent", "manager", "admin"],
};
const $ = (sel, root = document) => root.querySelector(sel);
let me = null;
let zone = "Asia/Shanghai";
const charts = {};

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
function can(role) { return me !== null && ROLE_RANK[me.role] >= ROLE_RANK[role]; }

class ApiError extends Error {
  constructor(status, message, retryAfter) { super(message); this.status = status; this.retryAfter = retryAfter; }
}

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
    throw new ApiError(response.status, `${response.status}: ${detail}`, response.headers.get("Retry-After"));
  }
  if (options.raw) return response;
  return response.status === 204 ? null : response.json();
}

// ---- formatting in the centre's time zone and the page's language ----
function fmtTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(lang, { timeZone: zone, dateStyle: "short", timeStyle: "medium" }).format(new Date(iso));
}
function fmtNum(n, digits) {
  const opts = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(lang, opts).format(n);
}
function fmtPct(x) { return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(x); }

// Milliseconds by which the centre's zone is ahead of UTC at the moment `utcMs`.
function zoneOffset(utcMs) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const v = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
  return Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second) - utcMs;
}

// "2026-11-01" + "08:30:00" read as a wall-clock time in the centre's zone → ISO UTC.
function centreTime(date, time = "00:00:00") {
  const [y, mo, d] = date.split("-").map(Number);
  const [h, mi, s] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s || 0);
  let utc = wall - zoneOffset(wall);
  utc = wall - zoneOffset(utc);  // a second pass settles a daylight-saving edge
  return new Date(utc).toISOString();
}

function fill(tbody, rows) { tbody.replaceChildren(...rows); }

async function download(path, fallbackName) {
  const response = await call(path, { raw: true });
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="?([^";]+)"?/.exec(disposition);
  const url = URL.createObjectURL(await response.blob());
  const a = el("a", { href: url, download: match ? match[1] : fallbackName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// A reason the person must type (lifting, editing): one dialog for the whole page; resolves to null on cancel.
function askReason(title, initial = "") {
  const dialog = $("#reason-dialog");
  $("#reason-title").textContent = title;
  dialog.querySelector("textarea").value = initial;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const text = dialog.querySelector("textarea").value.trim();
      resolve(dialog.returnValue === "ok" && text ? text : null);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

function options(select, group, keepFirst = true) {
  const first = keepFirst && select.options.length && select.options[0].value === "" ? [select.options[0]] : [];
  select.replaceChildren(...first, ...ENUMS[group].map((v) => el("option", { value: v }, tv(group, v))));
}

// ---- keyset paging: a stack of cursors, so "Previous" goes back exactly ----
class Pager {
  constructor(prefix, load) {
    this.prefix = prefix;
    this.load = load;
    this.cursors = [null];
    $(`#${prefix}-next`).addEventListener("click", () => this.move(1));
    $(`#${prefix}-prev`).addEventListener("click", () => this.move(-1));
  }
  reset() { this.cursors = [null]; this.count = null; }
  get cursor() { return this.cursors[this.cursors.length - 1]; }
  async move(step) {
    if (step > 0 && this.next) this.cursors.push(this.next);
    if (step < 0 && this.cursors.length > 1) this.cursors.pop();
    try { await this.load(); } catch (err) { showError(err.message); }
  }
  show(rows, count, nextCursor) {
    if (count !== null && count !== undefined) this.count = count;
    this.next = rows === PAGE ? nextCursor : null;
    const first = (this.cursors.length - 1) * PAGE + (rows ? 1 : 0);
    const last = (this.cursors.length - 1) * PAGE + rows;
    const shownCount = this.count > 10000 && this.capped ? `${fmtNum(10000)}+` : fmtNum(this.count ?? 0);
    $(`#${this.prefix === "lists" ? "list" : this.prefix}-count`).textContent =
      t("common.page", { first: fmtNum(first), last: fmtNum(last), count: shownCount });
    $(`#${this.prefix}-next`).disabled = !this.next;
    $(`#${this.prefix}-prev`).disabled = this.cursors.length <= 1;
  }
}

// ---- calls ----
function callQuery() {
  const form = new FormData($("#call-filter"));
  const params = new URLSearchParams();
  for (const key of ["caller", "hotline", "route", "label"]) if (form.get(key)) params.set(key, form.get(key));
  if (form.get("since")) params.set("since", centreTime(form.get("since")));
  if (form.get("until")) params.set("until", centreTime(form.get("until"), "23:59:59"));
  return params;
}

const callPager = new Pager("calls", loadCalls);

async function loadCalls() {
  const params = callQuery();
  params.set("limit", String(PAGE));
  const cursor = callPager.cursor;
  if (cursor) { params.set("before_at", cursor.at); params.set("before_id", String(cursor.id)); }
  const page = await call(`/calls?${params}`);
  fill($("#tab-calls tbody"), page.data.map((c) => el("tr", { "data-call": String(c.id) },
    el("td", {}, fmtTime(c.started_at)), el("td", {}, c.caller || "—"), el("td", {}, tv("route", c.route)),
    el("td", { class: `label-${c.label}` }, tv("label", c.label)), el("td", {}, fmtNum(c.score, 2)),
    el("td", {}, c.review_outcome ? tv("outcome", c.review_outcome) : ""),
    el("td", {}, el("button", { onclick: () => openCall(c.id) }, t("calls.open"))))));
  const last = page.data[page.data.length - 1];
  callPager.show(page.data.length, page.count, last ? { at: last.started_at, id: last.id } : null);
}

let current = null;  // the call on view

function openCall(id) {
  return showCall(id).catch((err) => showError(err.message));
}

async function showCall(id) {
  showError("");
  const c = await call(`/calls/${id}`);
  current = c;
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== "call-view";
  $("#cv-title").textContent = `#${c.id} · ${c.caller || "—"}`;
  const facts = [
    [t("calls.started"), fmtTime(c.started_at)], [t("calls.ended"), fmtTime(c.ended_at)],
    [t("calls.verdict"), `${tv("label", c.label)} (${fmtNum(c.score, 2)})`], [t("calls.route"), tv("route", c.route)],
    [t("calls.node"), c.node], [t("calls.confirmedBy"), c.confirmed_by || t("common.none")],
    [t("calls.review"), c.review_outcome ? t("calls.reviewed", { outcome: tv("outcome", c.review_outcome), by: c.reviewed_by }) : t("common.none")],
  ];
  $("#cv-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  fill($("[data-testid=reason-table] tbody"), c.reasons.map((r) => el("tr", {},
    el("td", {}, r.code), el("td", {}, r.kind), el("td", {}, fmtNum(r.weight, 2)), el("td", {}, r.detail),
    el("td", {}, r.evidence.join(" · ")))));
  $("#cv-transcript").textContent = c.transcript || t("calls.noTranscript");
  for (const node of document.querySelectorAll("#call-view .manager-only")) node.hidden = !can("manager");
  $("#cv-evidence").disabled = !c.caller;
  $("#cv-propose").disabled = !c.caller;
  if (can("manager")) await loadContext(id);
}

async function loadContext(id) {
  const ctx = await call(`/calls/${id}/context`);
  fill($("[data-testid=cv-entries] tbody"), ctx.entries.map((e) => el("tr", { "data-entry": String(e.id) },
    el("td", {}, tv("list", e.list)), el("td", {}, tv("kind", e.kind)), el("td", {}, e.value), el("td", {}, e.reason),
    el("td", {}, e.list === "block" && e.status === "active"
      ? el("button", { class: "lift", onclick: () => liftEntry(e.id, t("calls.liftReason"), false, () => openCall(id)) }, t("lists.lift"))
      : ""))));
  fill($("[data-testid=cv-history] tbody"), ctx.history.map((h) => el("tr", {},
    el("td", {}, fmtTime(h.started_at)), el("td", {}, tv("route", h.route)), el("td", { class: `label-${h.label}` }, tv("label", h.label)),
    el("td", {}, el("button", { onclick: () => openCall(h.id) }, t("calls.open"))))));
  fill($("[data-testid=cv-incidents] tbody"), ctx.incidents.map((i) => el("tr", {},
    el("td", {}, fmtTime(i.occurred_at)), el("td", {}, i.agent), el("td", {}, i.note))));
  fill($("[data-testid=cv-bills] tbody"), ctx.bill_matches.map((b) => el("tr", {},
    el("td", {}, fmtTime(b.called_at)), el("td", {}, b.duration_s === null ? "" : `${fmtNum(b.duration_s)} s`),
    el("td", {}, `#${b.bill_id} ${b.filename}`))));
}

async function reviewCurrent(outcome) {
  await call(`/calls/${current.id}/review`, { method: "POST", json: { outcome, note: $("#cv-note").value } });
  $("#cv-note").value = "";
  await openCall(current.id);
}

async function proposeBlock() {
  const reason = await askReason(t("calls.proposeReason"));
  if (reason === null) return;
  await call("/lists/entries", { method: "POST", json: { list: "block", kind: "exact", value: current.caller, reason, status: "proposed" } });
  showError(t("calls.proposed"));
  await loadContext(current.id);
}

// ---- review queue ----
async function loadReview() {
  const queue = await call("/review?limit=200");
  const rows = queue.data.map((e) => el("tr", { "data-entry": String(e.id) },
    el("td", {}, e.value), el("td", {}, tv("list", e.list)), el("td", {}, tv("source", e.source)), el("td", {}, e.reason),
    el("td", {}, fmtNum(e.flagged_calls)), el("td", {}, fmtTime(e.last_call_at)),
    el("td", {},
      el("button", { class: "approve", "data-testid": `approve-${e.id}`, onclick: () => decide(e.id, "approve") }, t("review.approve")),
      " ",
      el("button", { class: "lift", "data-testid": `lift-${e.id}`, onclick: () => decide(e.id, "lift") }, t("review.lift")))));
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

const listPager = new Pager("lists", loadLists);

async function loadLists() {
  const params = listQuery();
  params.set("limit", String(PAGE));
  if (listPager.cursor) params.set("before_id", String(listPager.cursor));
  const page = await call(`/lists/entries?${params}`);
  fill($("#tab-lists tbody"), page.data.map((e) => el("tr", { "data-entry": String(e.id) },
    el("td", {}, tv("list", e.list)), el("td", {}, tv("kind", e.kind)), el("td", {}, e.value),
    el("td", { title: e.lifted_reason ? t("lists.liftedBy", { by: e.lifted_by, reason: e.lifted_reason }) : "" }, tv("status", e.status)),
    el("td", {}, tv("source", e.source)),
    el("td", {}, e.reason, e.lifted_reason ? el("div", { class: "lifted" }, t("lists.liftedBy", { by: e.lifted_by, reason: e.lifted_reason })) : ""),
    el("td", { class: "num" }, fmtNum(e.hit_count)), el("td", {}, fmtTime(e.last_hit_at)), el("td", {}, fmtTime(e.expires_at)),
    el("td", { class: "actions" },
      el("button", { onclick: () => editEntry(e) }, t("lists.edit")),
      e.status !== "lifted" ? el("button", { class: "lift", onclick: () => liftEntry(e.id, t("lists.liftReason"), false, loadLists) }, t("lists.lift")) : "",
      can("admin") ? el("button", { onclick: () => removeEntry(e.id) }, t("lists.delete")) : ""))));
  listPager.capped = Boolean(params.get("q"));
  const last = page.data[page.data.length - 1];
  listPager.show(page.data.length, page.count, last ? last.id : null);
}

async function editEntry(entry) {
  const reason = await askReason(t("lists.editReason"), entry.reason);
  if (reason === null) return;
  try { await call(`/lists/entries/${entry.id}`, { method: "PATCH", json: { reason } }); await loadLists(); } catch (err) { showError(err.message); }
}

async function liftEntry(id, title, appeal, then) {
  const reason = await askReason(title);
  if (reason === null) return;
  try { await call(`/lists/entries/${id}/lift`, { method: "POST", json: { reason, appeal } }); await then(); } catch (err) { showError(err.message); }
}

async function removeEntry(id) {
  try { await call(`/lists/entries/${id}`, { method: "DELETE" }); await loadLists(); } catch (err) { showError(err.message); }
}

async function appeal(form) {
  const data = new FormData(form);
  const facts = await call(`/lookup?number=${encodeURIComponent(data.get("number"))}`);
  const blocks = facts.matches.filter((m) => m.list === "block" && m.status === "active");
  if (!blocks.length) { $("#appeal-result").textContent = t("lists.appealNone"); return; }
  for (const m of blocks) {
    await call(`/lists/entries/${m.id}/lift`, { method: "POST", json: { reason: data.get("reason"), appeal: true } });
  }
  const after = await call(`/lookup?number=${encodeURIComponent(data.get("number"))}`);
  $("#appeal-result").textContent = t("lists.appealDone", { n: blocks.length, state: after.blocked ? t("lists.stillBlocked") : t("lists.allowed") });
  form.reset();
  listPager.reset();
  await loadLists();
}

// ---- reports: Chart.js, vendored in vendor/ (no request leaves the server) ----
function drawChart(id, type, labels, datasets, extra = {}) {
  if (charts[id]) charts[id].destroy();
  const palette = ["#3b6fb6", "#b42318", "#1a7f37", "#b7791f", "#6b46c1", "#0f766e", "#9f1239", "#475569"];
  const sets = datasets.map((d, i) => Object.assign({
    backgroundColor: type === "doughnut" ? palette : palette[i % palette.length],
    borderColor: type === "line" ? palette[i % palette.length] : undefined,
  }, d));
  charts[id] = new Chart($(`#${id}`), {
    type,
    data: { labels, datasets: sets },
    options: Object.assign({
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: sets.length > 1 || type === "doughnut" } },
      locale: lang,
    }, type === "doughnut" ? {} : {
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
    }, extra),
  });
}

function counts(id, pairs) {
  fill($(`#${id} tbody`), pairs.map((p) => el("tr", {}, el("td", {}, p.key), el("td", { class: "num" }, fmtNum(p.count)))));
}

function reportQuery() {
  const form = new FormData($("#report-form"));
  const params = new URLSearchParams();
  if (form.get("since")) params.set("since", centreTime(form.get("since")));
  if (form.get("until")) params.set("until", centreTime(form.get("until"), "23:59:59"));
  return params;
}

async function loadReports() {
  const r = await call(`/reports/summary?${reportQuery()}`);
  const figures = [
    ["fig.total", fmtNum(r.total_calls)], ["fig.harassment", fmtNum(r.harassment_calls)], ["fig.suspect", fmtNum(r.suspect_calls)],
    ["fig.confirmed", fmtNum(r.agent_confirmed)], ["fig.automatic", fmtNum(r.automatic)], ["fig.deterred", fmtNum(r.deterred_calls)],
    ["fig.saved", t("fig.minutes", { n: fmtNum(Math.round(r.agent_seconds_saved / 60)) })],
    ["fig.anonymous", fmtPct(r.share_anonymous)], ["fig.payphone", fmtPct(r.share_payphone)], ["fig.switchboard", fmtPct(r.share_switchboard)],
  ];
  fill($("#figures"), figures.map(([k, v]) => el("div", { class: "figure" }, el("b", {}, v), t(k))));
  const one = (label, data) => [{ label, data }];
  drawChart("chart-hour", "bar", r.by_hour.map((_, h) => String(h)), one(t("reports.harassment"), r.by_hour));
  drawChart("chart-weekday", "bar", t("weekday"), one(t("reports.harassment"), r.by_weekday));
  drawChart("chart-route", "doughnut", Object.keys(r.by_route).map((k) => tv("route", k)), one(t("reports.calls"), Object.values(r.by_route)));
  drawChart("chart-label", "doughnut", Object.keys(r.by_label).map((k) => tv("label", k)), one(t("reports.calls"), Object.values(r.by_label)));
  drawChart("chart-days", "line", r.by_day.map((d) => d[0]),
    [{ label: t("reports.calls"), data: r.by_day.map((d) => d[1]) }, { label: t("reports.harassment"), data: r.by_day.map((d) => d[2]) }]);
  drawChart("chart-prefixes", "bar", r.top_prefixes.map((p) => p.key), one(t("reports.harassment"), r.top_prefixes.map((p) => p.count)), { indexAxis: "y" });
  drawChart("chart-sources", "bar", r.top_sources.map((p) => p.key), one(t("reports.harassment"), r.top_sources.map((p) => p.count)), { indexAxis: "y" });
  counts("top-sources", r.top_sources);
  counts("top-prefixes", r.top_prefixes);
  counts("repeat", r.repeat_offenders);
  await loadCosts();
}

async function loadCosts() {
  const r = await call(`/reports/costs?${reportQuery()}`);
  const totals = r.lines.filter((l) => l.hotline === "*");
  const minutes = (sec) => Math.round(sec / 60);
  drawChart("chart-costs", "bar", totals.map((l) => l.month), [
    { label: t("costs.agentMin"), data: totals.map((l) => minutes(l.agent_seconds_on_harassment)) },
    { label: t("costs.deterrentMin"), data: totals.map((l) => minutes(l.deterrent_seconds)) },
    { label: t("costs.tollfreeMin"), data: totals.map((l) => l.tollfree_minutes) },
  ]);
  const money = new Intl.NumberFormat(lang, { style: "currency", currency: r.currency });
  fill($("[data-testid=cost-table] tbody"), r.lines.map((l) => el("tr", {},
    el("td", {}, l.month), el("td", {}, l.hotline === "*" ? "Σ" : l.hotline), el("td", { class: "num" }, fmtNum(l.harassment_calls)),
    el("td", { class: "num" }, fmtNum(minutes(l.agent_seconds_on_harassment))), el("td", { class: "num" }, fmtNum(minutes(l.deterrent_seconds))),
    el("td", { class: "num" }, fmtNum(l.tollfree_minutes)), el("td", { class: "num" }, money.format(l.tollfree_charge)))));
}

// ---- shadow test: replay recent calls under a candidate change ----
async function runShadow(form) {
  const data = new FormData(form);
  const body = { settings: {} };
  if (data.get("since")) body.since = centreTime(data.get("since"));
  if (data.get("until")) body.until = centreTime(data.get("until"), "23:59:59");
  const name = String(data.get("setting") || "").trim();
  const value = String(data.get("value") || "").trim();
  if (name) body.settings[name] = value !== "" && !Number.isNaN(Number(value)) ? Number(value) : value;
  const listText = $("#shadow-list").value.trim();
  if (listText) body.list_csv = `${listText}\n`;
  const r = await call("/shadow", { method: "POST", json: body });
  const figures = [["shadow.inputs", r.inputs], ["shadow.changed", r.changed], ["shadow.stricter", r.stricter], ["shadow.lenient", r.lenient]];
  fill($("#shadow-figures"), figures.map(([k, v]) => el("div", { class: "figure" }, el("b", {}, fmtNum(v)), t(k))));
  fill($("[data-testid=shadow-table] tbody"), r.calls.map((c) => el("tr", {},
    el("td", {}, fmtTime(c.at)), el("td", {}, c.caller), el("td", { class: `label-${c.before}` }, `${tv("label", c.before)} (${fmtNum(c.before_score, 2)})`),
    el("td", { class: `label-${c.after}` }, `${tv("label", c.after)} (${fmtNum(c.after_score, 2)})`), el("td", {}, tv("direction", c.direction)))));
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
    el("option", { value: String(b.id) }, `#${b.id} ${b.filename} (${t("bills.lines", { n: fmtNum(b.line_count) })})`)));
}

async function matchBill(form) {
  const data = new FormData(form);
  const result = await call(`/bills/${data.get("bill")}/matches?tolerance_s=${data.get("tolerance")}`);
  fill($("#tab-bills tbody"), result.candidates.map((c) => el("tr", {},
    el("td", {}, c.number), el("td", {}, String(c.incidents_matched)), el("td", {}, String(c.bill_calls)),
    el("td", {}, String(c.mean_offset_s)),
    el("td", {}, el("button", { onclick: () => download(`/evidence/pack?number=${encodeURIComponent(c.number)}`, "evidence.jsonl")
      .catch((e) => showError(e.message)) }, t("calls.evidence"))))));
}

// ---- people and keys (admin) ----
async function loadPeople() {
  const users = await call("/users");
  fill($("[data-testid=user-table] tbody"), users.map((u) => el("tr", { "data-user": u.username },
    el("td", {}, u.username), el("td", {}, u.display_name), el("td", {}, tv("role", u.role)), el("td", {}, fmtTime(u.last_login_at)),
    el("td", {}, u.disabled_at ? t("people.disabled") : t("people.active")),
    el("td", { class: "actions" },
      el("button", { onclick: () => resetPassword(u.id) }, t("people.reset")),
      el("button", { onclick: () => setDisabled(u.id, !u.disabled_at) }, u.disabled_at ? t("people.enable") : t("people.disable"))))));
  const keys = await call("/keys");
  fill($("[data-testid=key-table] tbody"), keys.map((k) => el("tr", {},
    el("td", {}, String(k.id)), el("td", {}, `${k.prefix}…`), el("td", {}, tv("role", k.role)), el("td", {}, k.label),
    el("td", {}, fmtTime(k.last_used_at)), el("td", {}, k.revoked_at ? t("people.revoked") : t("people.active")),
    el("td", {}, k.revoked_at ? "" : el("button", { onclick: () => revokeKey(k.id) }, t("people.revoke"))))));
  await loadSettings();
}

async function loadSettings() {
  const view = await call("/admin/settings");
  fill($("[data-testid=settings-table] tbody"), Object.entries(view.screening).map(([k, v]) =>
    el("tr", {}, el("td", {}, `screening.${k}`), el("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v)))));
  $("#model-row").hidden = !view.model_control;
  if (view.model_control) showModel(await call("/admin/model"));
}

function showModel(m) { $("#model-status").textContent = t("settings.model", { id: m.model_id, at: fmtTime(m.loaded_at) }); }

async function resetPassword(id) {
  const password = await askReason(t("people.newPassword"));
  if (password === null) return;
  try { await call(`/users/${id}/password`, { method: "POST", json: { password } }); await loadPeople(); } catch (err) { showError(err.message); }
}
async function setDisabled(id, disabled) {
  try { await call(`/users/${id}`, { method: "PATCH", json: { disabled } }); await loadPeople(); } catch (err) { showError(err.message); }
}
async function revokeKey(id) {
  try { await call(`/keys/${id}`, { method: "DELETE" }); await loadPeople(); } catch (err) { showError(err.message); }
}

// ---- wiring ----
const loaders = {
  calls: loadCalls, review: loadReview, lists: loadLists, reports: loadReports, incidents: loadIncidents,
  bills: loadBills, people: loadPeople, shadow: async () => {},
};
let activeTab = "calls";

async function showTab(name) {
  activeTab = name;
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

function clicking(selector, action) {
  $(selector).addEventListener("click", async () => {
    showError("");
    try { await action(); } catch (err) { showError(err.message); }
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

function showWho() {
  if (!me) return;
  $("#who").textContent = `${me.label || me.username || "key " + me.key_id} (${tv("role", me.role)})`;
}

async function enter(who) {
  me = who || await call("/me");
  zone = me.timezone || zone;
  showWho();
  $("#login").hidden = true;
  $("#logout").hidden = false;
  if (me.must_change_password) { $("#password-change").hidden = false; return; }
  $("#password-change").hidden = true;
  $("#app").hidden = false;
  // Only the tabs this role can use are shown: nobody lands on a tab that answers 403.
  for (const b of document.querySelectorAll("nav button")) b.hidden = !can(b.dataset.role);
  for (const f of document.querySelectorAll(".admin-only")) f.hidden = !can("admin");
  await showTab("calls");
}

function renderEnums() {
  options($("#call-filter select[name=route]"), "route");
  options($("#call-filter select[name=label]"), "label");
  options($("#list-filter select[name=list]"), "list");
  options($("#list-filter select[name=status]"), "status");
  options($("#entry-form select[name=list]"), "list", false);
  options($("#entry-form select[name=kind]"), "kind", false);
  options($("#user-form select[name=role]"), "role", false);
  options($("#key-form select[name=role]"), "role", false);
}

function keepSelections(action) {
  const kept = [...document.querySelectorAll("select")].map((s) => [s, s.value]);
  action();
  for (const [s, v] of kept) if ([...s.options].some((o) => o.value === v)) s.value = v;
}

async function switchLanguage(next) {
  keepSelections(() => { setLanguage(next); renderEnums(); });
  showWho();
  if (!me || $("#app").hidden) return;
  if (!$("#call-view").hidden && current) await openCall(current.id).catch((e) => showError(e.message));
  else await showTab(activeTab);
}

function init() {
  $("#lang").value = lang;
  keepSelections(() => { translatePage(); renderEnums(); });
  $("#lang").addEventListener("change", (event) => switchLanguage(event.target.value));
  for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const who = await call("/auth/login", { method: "POST", json: { username: form.get("username"), password: form.get("password") } });
      $("#login-error").textContent = "";
      $("#password").value = "";
      await enter(who);
    } catch (err) {
      $("#login-error").textContent = err.status === 429 ? t("auth.throttled", { s: err.retryAfter })
        : err.status === 401 ? t("auth.wrong") : err.message;
    }
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
  submitting("#call-filter", () => { callPager.reset(); return loadCalls(); });
  clicking("#call-back", () => showTab("calls"));
  clicking("#cv-confirm", () => reviewCurrent("confirmed"));
  clicking("#cv-overturn", () => reviewCurrent("overturned"));
  clicking("#cv-propose", proposeBlock);
  clicking("#cv-evidence", () => download(`/evidence/pack?number=${encodeURIComponent(current.caller)}`, "evidence.jsonl"));
  submitting("#list-filter", () => { listPager.reset(); return loadLists(); });
  submitting("#appeal-form", appeal);
  submitting("#entry-form", async (form) => {
    const data = Object.fromEntries(new FormData(form));
    await call("/lists/entries", { method: "POST", json: data });
    form.reset();
    listPager.reset();
    await loadLists();
  });
  submitting("#import-form", async (form) => {
    const list = new FormData($("#list-filter")).get("list") || "block";
    const result = await call(`/lists/import?list=${list}`, { method: "POST", body: new FormData(form) });
    $("#import-result").textContent = t("lists.imported", { created: fmtNum(result.created), skipped: fmtNum(result.skipped_existing) });
    listPager.reset();
    await loadLists();
  });
  $("#export-list").addEventListener("click", () => download(`/lists/export?${listQuery()}`, "list.csv").catch((e) => showError(e.message)));
  submitting("#report-form", loadReports);
  submitting("#shadow-form", runShadow);
  clicking("#model-reload", async () => showModel(await call("/admin/model/reload", { method: "POST" })));
  $("#export-costs").addEventListener("click", () => download(`/reports/costs?format=csv&${reportQuery()}`, "costs.csv").catch((e) => showError(e.message)));
  $("#export-report").addEventListener("click", () => download(`/reports/export.csv?${reportQuery()}`, "report.csv").catch((e) => showError(e.message)));
  submitting("#incident-form", async (form) => {
    const data = new FormData(form);
    const [date, time] = String(data.get("occurred_at")).split("T");
    await call("/incidents", { method: "POST", json: { occurred_at: centreTime(date, time.length === 5 ? `${time}:00` : time), note: data.get("note") } });
    form.reset();
    await loadIncidents();
  });
  submitting("#bill-form", async (form) => {
    await call("/bills", { method: "POST", body: new FormData(form) });
    form.reset();
    await loadBills();
  });
  submitting("#match-form", matchBill);
  submitting("#user-form", async (form) => {
    await call("/users", { method: "POST", json: Object.fromEntries(new FormData(form)) });
    form.reset();
    await loadPeople();
  });
  submitting("#key-form", async (form) => {
    const made = await call("/keys", { method: "POST", json: Object.fromEntries(new FormData(form)) });
    $("#new-key").textContent = `${t("people.keyShown")} ${made.key}`;
    form.reset();
    await loadPeople();
  });
  banner();
  enter().catch(() => { me = null; });  // resumes a session whose cookie is still valid
}

init();
