// The page's message catalogue: Simplified Chinese first (the centres' managers), English as the switch.
// No framework: elements carry data-i18n (text), data-i18n-placeholder; scripts call t(key, {name: value}).
// A key missing from a language falls back to English, then to the key itself (so a gap is visible, not blank).
"use strict";

const MESSAGES = {
  "zh-CN": {
    "app.title": "骚扰电话筛查 · 管理台",
    "auth.username": "用户名", "auth.password": "密码", "auth.login": "登录", "auth.logout": "退出",
    "auth.hint": "首个管理员账号由命令创建：callscreen users create 用户名 --role admin",
    "auth.mustChange": "您的密码由管理员设置，请先设置自己的密码。",
    "auth.current": "当前密码", "auth.new": "新密码", "auth.change": "修改密码",
    "auth.throttled": "密码错误次数过多，请 {s} 秒后再试。", "auth.wrong": "用户名或密码错误。",
    "tab.calls": "通话", "tab.review": "待审核", "tab.lists": "名单", "tab.reports": "报表",
    "tab.incidents": "事件登记", "tab.bills": "话单匹配", "tab.people": "人员、密钥与设置",
    "common.from": "从", "common.to": "至", "common.filter": "筛选", "common.prev": "上一页", "common.next": "下一页",
    "common.ok": "确定", "common.cancel": "取消", "common.page": "第 {first}–{last} 条，共 {count} 条",
    "common.none": "无",
    "calls.number": "号码", "calls.hotline": "热线号码", "calls.anyRoute": "全部去向", "calls.anyVerdict": "全部判定", "calls.time": "时间",
    "calls.route": "去向", "calls.verdict": "判定", "calls.score": "分数", "calls.review": "复核", "calls.open": "查看",
    "calls.back": "返回通话列表", "calls.call": "通话", "calls.note": "备注（可选）",
    "calls.confirm": "确认判定", "calls.overturn": "推翻判定", "calls.propose": "提议拉黑", "calls.evidence": "下载证据包",
    "calls.reasons": "判定理由", "calls.code": "理由", "calls.kind": "类别", "calls.weight": "权重", "calls.detail": "说明",
    "calls.evidenceCol": "证据", "calls.transcript": "转写文本", "calls.noTranscript": "（无转写文本：未保存或已过保存期）",
    "calls.entries": "该号码的名单条目", "calls.history": "该号码的其他通话", "calls.incidents": "本通话的事件登记",
    "calls.bills": "该号码在运营商话单中的记录", "calls.reviewed": "{outcome}（{by}）",
    "calls.started": "开始", "calls.ended": "结束", "calls.node": "节点", "calls.confirmedBy": "坐席确认",
    "calls.proposeReason": "提议拉黑的理由", "calls.proposed": "已提议拉黑，等待审核。", "calls.blocked": "该号码当前被拉黑",
    "calls.liftReason": "解除拉黑的理由（将被保存）",
    "review.title": "待审核的拉黑提议", "review.flagged": "被标记通话", "review.lastCall": "最近来电",
    "review.empty": "暂无待审核的提议。", "review.approve": "批准", "review.lift": "解除",
    "lists.appeal": "客户申诉", "lists.appealNumber": "客户号码", "lists.appealReason": "客户的申诉理由",
    "lists.appealLift": "解除拉黑", "lists.appealDone": "已解除 {n} 条拉黑，该号码现在：{state}",
    "lists.appealNone": "该号码没有生效的拉黑条目。",
    "lists.allLists": "全部名单", "lists.anyStatus": "全部状态", "lists.search": "搜索号码", "lists.export": "导出 CSV",
    "lists.valueHint": "号码、前缀、起-止 或 模式", "lists.reason": "理由", "lists.add": "添加", "lists.import": "导入 CSV",
    "lists.list": "名单", "lists.kind": "匹配方式", "lists.value": "号码", "lists.status": "状态", "lists.source": "来源",
    "lists.hits": "命中次数", "lists.lastHit": "最近命中", "lists.expires": "到期", "lists.edit": "修改理由",
    "lists.lift": "解除", "lists.delete": "删除", "lists.editReason": "新的理由", "lists.liftReason": "解除的理由（将被保存）",
    "lists.imported": "新增 {created} 条，已存在 {skipped} 条", "lists.allowed": "放行", "lists.stillBlocked": "仍被拉黑",
    "lists.liftedBy": "{by} 解除：{reason}",
    "reports.show": "查询", "reports.byHour": "骚扰电话按小时分布", "reports.byWeekday": "骚扰电话按星期分布",
    "reports.byRoute": "通话去向", "reports.byLabel": "判定结果", "reports.overTime": "每日通话与骚扰电话",
    "reports.topPrefixes": "主要号段", "reports.topSources": "主要来源号码", "reports.repeat": "多次骚扰的号码",
    "reports.calls": "通话", "reports.harassment": "骚扰",
    "fig.total": "筛查通话", "fig.harassment": "骚扰", "fig.suspect": "可疑", "fig.confirmed": "坐席确认",
    "fig.automatic": "自动判定", "fig.deterred": "已劝阻", "fig.saved": "节省坐席时间（估）", "fig.anonymous": "匿名",
    "fig.payphone": "公用电话", "fig.switchboard": "总机", "fig.minutes": "{n} 分钟",
    "incidents.note": "发生了什么", "incidents.log": "登记事件", "incidents.agent": "坐席", "incidents.noteCol": "说明",
    "bills.upload": "上传运营商话单", "bills.tolerance": "± 秒", "bills.match": "匹配事件", "bills.matched": "匹配的事件",
    "bills.calls": "话单中的通话", "bills.offset": "平均偏差（秒）", "bills.lines": "{n} 行",
    "people.users": "人员", "people.name": "姓名", "people.tempPassword": "临时密码", "people.create": "创建",
    "people.role": "角色", "people.lastLogin": "最近登录", "people.keys": "API 密钥（供系统调用）",
    "people.keyLabel": "密钥用途（如 pbx-1）", "people.prefix": "前缀", "people.label": "用途", "people.lastUsed": "最近使用",
    "people.reset": "重置密码", "people.disable": "停用", "people.enable": "启用", "people.revoke": "吊销",
    "people.active": "正常", "people.disabled": "已停用", "people.revoked": "已吊销", "people.newPassword": "临时密码（至少 10 位）",
    "people.keyShown": "新密钥（只显示这一次）：",
    "weekday": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "route.agents": "转坐席", "route.agents_flagged": "转坐席（标记）", "route.analysis": "自动劝阻",
    "route.line_fault": "线路故障", "route.rejected": "拒接", "route.fail_open": "故障放行", "route.abandoned": "主叫挂断",
    "route.media_timeout": "无媒体",
    "label.allow": "正常", "label.suspect": "可疑", "label.harassment": "骚扰",
    "list.block": "黑名单", "list.allow": "白名单", "list.payphone": "公用电话", "list.switchboard": "总机",
    "status.active": "生效", "status.proposed": "待审核", "status.lifted": "已解除",
    "kind.exact": "精确", "kind.prefix": "前缀", "kind.range": "号段", "kind.pattern": "模式",
    "source.auto": "自动", "source.agent": "坐席", "source.manager": "经理", "source.import": "导入",
    "role.agent": "坐席", "role.manager": "经理", "role.admin": "管理员",
    "outcome.confirmed": "已确认", "outcome.overturned": "已推翻",
    "settings.title": "当前生效的设置（只读：请修改节点的设置文件）", "settings.reload": "重新加载内容模型",
    "settings.model": "内容模型 {id}，加载于 {at}",
    "tab.shadow": "影子测试", "shadow.hint": "在变更上线前，用近期的通话（默认最近 7 天）回放候选设置或名单，看判定会怎样变化。",
"shadow.setting": "设置项", "shadow.value": "取值", "shadow.run": "对比",
    "shadow.list": "候选名单条目（CSV，首行为表头，如 list,value）", "shadow.before": "现在", "shadow.after": "变更后",
    "shadow.direction": "方向", "shadow.inputs": "回放通话", "shadow.changed": "判定改变", "shadow.stricter": "更严",
    "shadow.lenient": "更宽", "direction.stricter": "更严", "direction.lenient": "更宽",
    "costs.title": "骚扰电话的成本（按月）", "costs.export": "导出成本 CSV", "costs.chart": "每月分钟数",
    "costs.month": "月份", "costs.harassment": "骚扰通话", "costs.agentMin": "坐席处理骚扰的分钟数",
    "costs.deterrentMin": "劝阻语音承接的分钟数", "costs.tollfreeMin": "免费电话分钟数", "costs.charge": "免费电话费用",
  },
  en: {
    "app.title": "callscreen — manager",
    "auth.username": "User name", "auth.password": "Password", "auth.login": "Log in", "auth.logout": "Log out",
    "auth.hint": "The first admin is created with: callscreen users create NAME --role admin",
    "auth.mustChange": "Your password was set by an administrator: choose your own.",
    "auth.current": "Current password", "auth.new": "New password", "auth.change": "Change password",
    "auth.throttled": "Too many wrong passwords: try again in {s} s.", "auth.wrong": "Wrong user name or password.",
    "tab.calls": "Calls", "tab.review": "Review queue", "tab.lists": "Lists", "tab.reports": "Reports",
    "tab.incidents": "Incidents", "tab.bills": "Bill matching", "tab.people": "People, keys, settings",
    "common.from": "From", "common.to": "to", "common.filter": "Filter", "common.prev": "Previous", "common.next": "Next",
    "common.ok": "OK", "common.cancel": "Cancel", "common.page": "{first}–{last} of {count}", "common.none": "none",
    "calls.number": "Number", "calls.hotline": "hotline", "calls.anyRoute": "any route", "calls.anyVerdict": "any verdict", "calls.time": "Time",
    "calls.route": "Route", "calls.verdict": "Verdict", "calls.score": "Score", "calls.review": "Review", "calls.open": "Open",
    "calls.back": "Back to calls", "calls.call": "Call", "calls.note": "note (optional)",
    "calls.confirm": "Confirm verdict", "calls.overturn": "Overturn verdict", "calls.propose": "Propose block",
    "calls.evidence": "Download evidence pack", "calls.reasons": "Reasons", "calls.code": "Reason", "calls.kind": "Kind",
    "calls.weight": "Weight", "calls.detail": "Detail", "calls.evidenceCol": "Evidence", "calls.transcript": "Transcript",
    "calls.noTranscript": "(no transcript: never kept, or past retention)", "calls.entries": "List entries for this number",
    "calls.history": "This number's other calls", "calls.incidents": "Incidents on this call",
    "calls.bills": "Carrier-bill lines from this number", "calls.reviewed": "{outcome} ({by})",
    "calls.started": "Started", "calls.ended": "Ended", "calls.node": "Node", "calls.confirmedBy": "Confirmed by agent",
    "calls.proposeReason": "Why block this number?", "calls.proposed": "Block proposed; waiting for review.",
    "calls.blocked": "This number is blocked now", "calls.liftReason": "Why lift the block? (kept)",
    "review.title": "Proposed blocks", "review.flagged": "Flagged calls", "review.lastCall": "Last call",
    "review.empty": "No proposals waiting.", "review.approve": "Approve", "review.lift": "Lift",
    "lists.appeal": "Appeal", "lists.appealNumber": "customer's number", "lists.appealReason": "what the customer said",
    "lists.appealLift": "Lift the block", "lists.appealDone": "{n} block(s) lifted; the number is now: {state}",
    "lists.appealNone": "No active block matches this number.",
    "lists.allLists": "all lists", "lists.anyStatus": "any status", "lists.search": "search value", "lists.export": "Export CSV",
    "lists.valueHint": "number, prefix, FIRST-LAST or pattern", "lists.reason": "Reason", "lists.add": "Add",
    "lists.import": "Import CSV", "lists.list": "List", "lists.kind": "Kind", "lists.value": "Value", "lists.status": "Status",
    "lists.source": "Source", "lists.hits": "Hits", "lists.lastHit": "Last hit", "lists.expires": "Expires",
    "lists.edit": "Edit reason", "lists.lift": "Lift", "lists.delete": "Delete", "lists.editReason": "New reason",
    "lists.liftReason": "Why lift it? (kept)", "lists.imported": "{created} added, {skipped} already present",
    "lists.allowed": "allowed", "lists.stillBlocked": "still blocked", "lists.liftedBy": "lifted by {by}: {reason}",
    "reports.show": "Show", "reports.byHour": "Harassment by hour of day", "reports.byWeekday": "Harassment by day of week",
    "reports.byRoute": "Calls by route", "reports.byLabel": "Calls by verdict", "reports.overTime": "Calls and harassment per day",
    "reports.topPrefixes": "Top prefixes", "reports.topSources": "Top sources", "reports.repeat": "Repeat offenders",
    "reports.calls": "Calls", "reports.harassment": "Harassment",
    "fig.total": "Calls screened", "fig.harassment": "Harassment", "fig.suspect": "Suspect", "fig.confirmed": "Agent-confirmed",
    "fig.automatic": "Automatic", "fig.deterred": "Deterred", "fig.saved": "Agent time saved (est.)", "fig.anonymous": "Anonymous",
    "fig.payphone": "Pay phones", "fig.switchboard": "Switchboards", "fig.minutes": "{n} min",
    "incidents.note": "what happened", "incidents.log": "Log incident", "incidents.agent": "Agent", "incidents.noteCol": "Note",
    "bills.upload": "Upload carrier bill", "bills.tolerance": "± seconds", "bills.match": "Match incidents",
    "bills.matched": "Incidents matched", "bills.calls": "Calls on bill", "bills.offset": "Mean offset (s)", "bills.lines": "{n} lines",
    "people.users": "People", "people.name": "Name", "people.tempPassword": "temporary password", "people.create": "Create",
    "people.role": "Role", "people.lastLogin": "Last log-in", "people.keys": "API keys (machines)",
    "people.keyLabel": "what uses the key (e.g. pbx-1)", "people.prefix": "Prefix", "people.label": "Label",
    "people.lastUsed": "Last used", "people.reset": "Reset password", "people.disable": "Disable", "people.enable": "Enable",
    "people.revoke": "Revoke", "people.active": "active", "people.disabled": "disabled", "people.revoked": "revoked",
    "people.newPassword": "Temporary password (10 characters or more)", "people.keyShown": "New key (shown only this once):",
    "weekday": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "route.agents": "agents", "route.agents_flagged": "agents (flagged)", "route.analysis": "deterred",
    "route.line_fault": "line fault", "route.rejected": "rejected", "route.fail_open": "fail-open", "route.abandoned": "abandoned",
    "route.media_timeout": "no media",
    "label.allow": "allow", "label.suspect": "suspect", "label.harassment": "harassment",
    "list.block": "block", "list.allow": "allow", "list.payphone": "payphone", "list.switchboard": "switchboard",
    "status.active": "active", "status.proposed": "proposed", "status.lifted": "lifted",
    "kind.exact": "exact", "kind.prefix": "prefix", "kind.range": "range", "kind.pattern": "pattern",
    "source.auto": "auto", "source.agent": "agent", "source.manager": "manager", "source.import": "import",
    "role.agent": "agent", "role.manager": "manager", "role.admin": "admin",
    "outcome.confirmed": "confirmed", "outcome.overturned": "overturned",
    "settings.title": "Settings in force (read-only: edit the node's settings file)", "settings.reload": "Reload content model",
    "settings.model": "content model {id}, loaded {at}",
    "tab.shadow": "Shadow test", "shadow.hint": "Replay recent screened calls (default: the last 7 days) under a candidate setting or list before it goes live.",
"shadow.setting": "Setting", "shadow.value": "Value", "shadow.run": "Compare",
    "shadow.list": "candidate list entries (CSV with a header line, e.g. list,value)", "shadow.before": "Now", "shadow.after": "With the change",
    "shadow.direction": "Direction", "shadow.inputs": "Calls replayed", "shadow.changed": "Verdicts changed",
    "shadow.stricter": "Stricter", "shadow.lenient": "More lenient", "direction.stricter": "stricter",
    "direction.lenient": "more lenient",
    "costs.title": "What harassment costs, by month", "costs.export": "Export cost CSV", "costs.chart": "Minutes by month",
    "costs.month": "Month", "costs.harassment": "Harassment calls", "costs.agentMin": "Agent minutes on harassment",
    "costs.deterrentMin": "Minutes the deterrent absorbed", "costs.tollfreeMin": "Toll-free minutes", "costs.charge": "Toll-free charge",
  },
};

const LANGS = Object.keys(MESSAGES);
let lang = LANGS.includes(localStorage.getItem("lang")) ? localStorage.getItem("lang") : "zh-CN";

function t(key, params = {}) {
  const text = MESSAGES[lang][key] ?? MESSAGES.en[key] ?? key;
  if (typeof text !== "string") return text;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

// An enumeration value (route, verdict, list…) in the current language; unknown values are shown as they are.
function tv(group, value) {
  if (value === null || value === undefined || value === "") return "";
  const key = `${group}.${value}`;
  return MESSAGES[lang][key] ?? MESSAGES.en[key] ?? String(value);
}

function translatePage() {
  document.documentElement.lang = lang;
  document.title = t("app.title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
}

function setLanguage(next) {
  lang = LANGS.includes(next) ? next : "zh-CN";
  localStorage.setItem("lang", lang);
  translatePage();
}
