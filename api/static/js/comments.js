/* 评论处理: live queue with intent/negativity/suggested action, moderator actions, spike alert, hotspot report. */
"use strict";

const Comments = (() => {
  const $ = (id) => document.getElementById(id);
  // Moderator actions as the API names them (POST /v1/comments/{id}/actions {"action": ...}).
  // Moderator actions as the queue stores them (screening/triage/store.py MODERATOR_ACTIONS).
  const ACT = { replied: "reply_sent", routed: "routed", hide: "hidden", resolve: "resolved" };
  const ROUTE_NOTE = { route_after_sales: "转售后客服", route_ops: "同步运营" };
  const HIDE_AREAS = new Set(["abuse", "diversion", "illegal", "politics", "porn", "pornography", "gambling", "drugs",
    "weapons", "violence", "terror", "fraud", "privacy", "spam"]);
  const state = { items: new Map(), order: [], total: 0, es: null, started: false, statuses: [], live: false, reconnect: null };

  function matchesFilter(c) {
    const intent = $("c-intent").value, status = $("c-status").value;
    return (!intent || c.intent === intent) && (!status || c.status === status);
  }

  function hideable(c) {
    if (typeof c.hideable === "boolean") return c.hideable;
    if (C.HIDEABLE.has(c.intent)) return true;
    return (c.findings || []).some((f) => HIDE_AREAS.has(f.category));
  }

  function negBar(v) {
    const pct = Math.round((Number(v) || 0) * 100);
    return C.el("span", { class: "neg", title: "负面概率" }, "负面",
      C.el("span", { class: "bar" }, C.el("span", { style: `width:${pct}%` })), `${pct}%`);
  }

  function card(c, fresh) {
    const acts = C.el("div", { class: "acts" });
    const closed = c.status === "resolved" || c.status === "hidden";
    if (c.reply) {
      acts.append(C.el("button", { class: "btn small primary act-copy", type: "button", text: "复制回复",
        onclick: async () => {
          const ok = await C.copyText(c.reply);
          C.toast(ok ? "回复已复制，可粘贴到评论区或私信" : "复制失败，请手动选择回复文字", ok ? "ok" : "error");
        } }));
      acts.append(C.el("button", { class: "btn small act-sent", type: "button", text: "标记已回复", disabled: closed || c.status === "replied",
        onclick: () => act(c, ACT.replied, { reply: c.reply }) }));
    }
    const rec = c.action;
    acts.append(C.el("button", { class: "btn small act-route-as" + (rec === "route_after_sales" ? " primary" : ""), type: "button",
      text: "转售后客服", disabled: closed, onclick: () => act(c, ACT.routed, { note: ROUTE_NOTE.route_after_sales }) }));
    acts.append(C.el("button", { class: "btn small act-route-ops" + (rec === "route_ops" ? " primary" : ""), type: "button",
      text: "同步运营", disabled: closed, onclick: () => act(c, ACT.routed, { note: ROUTE_NOTE.route_ops }) }));
    if (hideable(c)) {
      acts.append(C.el("button", { class: "btn small danger act-hide", type: "button", text: "隐藏", disabled: closed,
        onclick: () => act(c, ACT.hide) }));
    }
    acts.append(C.el("button", { class: "btn small ghost act-resolve", type: "button", text: "标记已解决", disabled: closed,
      onclick: () => act(c, ACT.resolve) }));

    const intentLabel = c.intent_label || C.INTENT[c.intent] || c.intent || "未分类";
    const actionLabel = c.action_label || C.ACTION[c.action] || c.action || "";
    const statusLabel = c.status_label || C.STATUS[c.status] || c.status || "";
    return C.el("div", { class: `comment st-${c.status || "open"}` + (fresh ? " fresh" : ""), dataset: { id: String(c.id), intent: c.intent || "" } },
      C.el("div", {},
        C.el("div", { class: "ctext", text: c.text }),
        C.el("div", { class: "meta" },
          C.el("span", { class: `intent ${c.intent || ""}`, text: intentLabel }),
          negBar(c.negative),
          c.toxic ? C.el("span", { class: "sev-chip violation", text: "含辱骂" }) : null,
          actionLabel ? C.el("span", {}, "建议：", C.el("b", { class: "suggested-action", text: actionLabel })) : null,
          c.user || c.author ? C.el("span", { text: `@${c.user || c.author}` }) : null,
          C.el("span", { text: C.when(c.created_at || c.received_at || c.ts) }))),
      C.el("div", {}, statusLabel ? C.el("span", { class: "status", text: statusLabel }) : null),
      c.reply ? C.el("div", { class: "reply" }, C.el("span", { class: "muted small", text: "回复模板：" }), c.reply) : null,
      acts);
  }

  function showCount() {
    $("c-count").textContent = `共 ${state.total} 条`;
  }

  function render() {
    const list = $("c-list");
    list.innerHTML = "";
    let n = 0;
    for (const id of state.order) {
      const c = state.items.get(id);
      if (!c || !matchesFilter(c)) continue;
      list.append(card(c, false));
      n++;
    }
    $("c-empty").hidden = n > 0;
  }

  function upsert(c, { fresh = false, top = true } = {}) {
    const id = String(c.id);
    const had = state.items.has(id);
    state.items.set(id, Object.assign(had ? state.items.get(id) : {}, c));
    if (!had) { if (top) state.order.unshift(id); else state.order.push(id); }
    const merged = state.items.get(id);
    const old = $("c-list").querySelector(`.comment[data-id="${CSS.escape(id)}"]`);
    if (!matchesFilter(merged)) { if (old) old.remove(); return; }
    const node = card(merged, fresh && !had);
    if (old) old.replaceWith(node);
    else if (top) $("c-list").prepend(node);
    else $("c-list").append(node);
    $("c-empty").hidden = true;
  }

  function itemsOf(body) {
    if (Array.isArray(body)) return body;
    return body.items || body.comments || body.results || [];
  }

  async function load() {
    const q = new URLSearchParams();
    if ($("c-intent").value) q.set("intent", $("c-intent").value);
    if ($("c-status").value) q.set("status", $("c-status").value);
    const limit = 200;
    q.set("limit", String(limit));
    try {
      // the queue is oldest-first: fetch its last page, show newest first
      let body = await C.api(`/v1/comments?${q}`);
      if (body.total > limit) {
        q.set("offset", String(body.total - limit));
        body = await C.api(`/v1/comments?${q}`);
      }
      const items = itemsOf(body).slice().reverse();
      state.items.clear();
      state.order = [];
      for (const c of items) { const id = String(c.id); state.items.set(id, c); state.order.push(id); }
      render();
      state.total = body.total != null ? body.total : items.length;
      showCount();
    } catch (e) {
      C.toast(e.message, "error", 6000);
    }
  }

  async function act(c, action, extra = {}) {
    try {
      const actor = $("c-actor").value.trim() || C.me.name || "控制台";
      localStorage.setItem("screening.actor", $("c-actor").value.trim());
      const body = await C.api(`/v1/comments/${encodeURIComponent(c.id)}/actions`, { json: Object.assign({ action, actor }, extra) });
      const updated = body && (body.comment || (body.id != null ? body : null));
      upsert(updated || Object.assign({}, c, { status: body && body.status ? body.status : c.status }), { fresh: false });
      const names = { [ACT.replied]: "已标记为已回复", [ACT.routed]: `已${extra.note || "转交"}`,
        [ACT.hide]: "已隐藏", [ACT.resolve]: "已标记为已解决" };
      C.toast(names[action] || "已处理", "ok");
    } catch (e) {
      C.toast(e.message, "error", 6000);
    }
  }

  // ------------------------------------------------------------------ event stream

  function connect() {
    if (state.es) return;
    const es = new EventSource(C.withKey("/v1/comments/events"));
    state.es = es;
    es.onopen = () => { $("c-live").textContent = "● 实时更新中"; };
    const handle = (type, data) => {
      let ev;
      try { ev = JSON.parse(data); } catch (e) { return; }
      const t = ev.type || type;
      if (t === "spike_end") spikeEnd(ev);
      else if (t === "spike_start" || t === "spike" || t === "crisis" || t === "alert") spike(ev.alert || ev);
      else if (t === "comment" || t === "comments" || t === "message") {
        const list = ev.items || ev.comments || (ev.comment ? [ev.comment] : ev.id != null ? [ev] : []);
        for (const c of list) {
          if (!state.items.has(String(c.id))) state.total += 1;
          upsert(c, { fresh: true });
        }
        showCount();
      } else if (t === "action" || t === "update") {
        const c = ev.comment || ev;
        if (c.id != null) upsert(c, { fresh: false });
      }
    };
    es.onmessage = (m) => handle("message", m.data);
    for (const t of ["comment", "comments", "spike_start", "spike_end", "spike", "alert", "action", "update"]) {
      es.addEventListener(t, (m) => handle(t, m.data));
    }
    es.onerror = async () => {
      $("c-live").textContent = "○ 实时连接中断，正在重连…";
      if (es.readyState === EventSource.CLOSED) {
        state.es = null;
        if (await C.checkAuth() && state.started) {
          clearTimeout(state.reconnect);
          state.reconnect = setTimeout(connect, 3000);
        }
      }
    };
  }

  const TOPIC_ZH = { quality: "商品质量", logistics: "物流", after_sales: "售后", price: "价格", abuse: "辱骂刷屏" };

  function spike(a) {
    const pct = (x) => (x == null ? "?" : `${Math.round(Number(x) * 100)}%`);
    const pb = a.playbook || {};
    const share = a.share != null ? a.share : a.negative_share;
    const topic = pb.topic ? `，集中在「${TOPIC_ZH[pb.topic] || C.INTENT[pb.topic] || pb.topic}」` : "";
    const detail = a.message || (share != null
      ? `最近 ${a.window_n != null ? a.window_n + " 条" : ""}评论中负面占 ${pct(share)}（本场平时约 ${pct(a.baseline)}）${topic}`
      : "负面评论明显增多");
    $("spike-detail").textContent = detail;
    $("spike-title").textContent = pb.title || "负面评论激增";
    const steps = pb.steps || a.steps || [
      "立即提醒主播暂停讲解或暂停直播，不与观众争辩",
      "客服私信负面评论用户，引导提供订单号+问题描述",
      "运营核实问题并发布情况说明",
      "问题处理后恢复直播，并在直播间说明处理结果",
    ];
    const ol = $("spike-steps");
    ol.innerHTML = "";
    for (const s of steps) ol.append(C.el("li", { text: typeof s === "string" ? s : s.text || JSON.stringify(s) }));
    const st = pb.statement || a.statement;
    $("spike-statement").hidden = !st;
    $("spike-statement").textContent = st ? `声明模板：${st}` : "";
    $("spike-time").textContent = C.when(a.at || a.created_at || a.ts || Date.now());
    const banner = $("spike-alert");
    banner.hidden = false;
    banner.classList.remove("flash");
    void banner.offsetWidth;
    banner.classList.add("flash");
    banner.classList.remove("calm");
    C.alertSound();
  }

  function spikeEnd(a) {
    const banner = $("spike-alert");
    if (banner.hidden) return;
    $("spike-title").textContent = "负面评论已回落";
    $("spike-detail").textContent = `负面占比已回到 ${Math.round(Number(a.share || 0) * 100)}%，可按计划恢复直播并说明处理结果。`;
    $("spike-time").textContent = C.when(a.ts || Date.now());
    banner.classList.remove("flash");
    banner.classList.add("calm");
  }

  // ------------------------------------------------------------------ hotspot report

  function isoDay(d) {
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  }

  function range() {
    const q = new URLSearchParams();
    const from = $("h-from").value, to = $("h-to").value;
    if (from) q.set("start", new Date(`${from}T00:00:00`).toISOString());
    if (to) q.set("end", new Date(`${to}T23:59:59.999`).toISOString());
    return q;
  }

  function bars(title, rows, cls) {
    const box = C.el("div", { class: `chart ${cls || ""}` }, C.el("h3", { text: title }));
    if (!rows.length) { box.append(C.el("p", { class: "muted", text: "暂无数据" })); return box; }
    const max = Math.max(...rows.map((r) => r.share), 0.0001);
    for (const r of rows) {
      box.append(C.el("div", { class: "chart-row", title: r.title || "" },
        C.el("span", { class: "lbl", text: r.label }),
        C.el("span", { class: "bar" }, C.el("span", { style: `width:${Math.round((r.share / max) * 100)}%` })),
        C.el("span", { class: "pct", text: `${(r.share * 100).toFixed(r.share < 0.1 ? 1 : 0)}%` })));
    }
    return box;
  }

  let reportSeq = 0;
  async function loadReport() {
    const seq = ++reportSeq;
    const out = $("h-report");
    const box = document.createDocumentFragment();
    let rep;
    try {
      rep = await C.api(`/v1/reports/hotspots?${range()}`);
    } catch (e) {
      if (seq === reportSeq) out.replaceChildren(C.el("p", { class: "error", text: e.message }));
      return;
    }
    if (seq !== reportSeq) return; // a newer request is on its way
    const pct = (x) => `${(Number(x) * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
    const topics = rep.question_topics || [];
    const head = C.el("div", { class: "report-head" },
      topics.length ? C.el("p", { class: "headline", text: `“${topics[0].topic}”提问占比 ${pct(topics[0].share)}` }) : null,
      C.el("p", { class: "muted small" },
        `评论 ${rep.total_comments} 条 · 咨询 ${rep.question_comments} 条 · 负面占比 ${pct(rep.negative_share || 0)}`,
        rep.range && rep.range.start ? ` · ${day(rep.range.start)} 至 ${day(rep.range.end)}` : ""));
    box.append(head);
    box.append(bars("咨询话题占比（占咨询类评论）", topics.map((t) => ({
      label: t.topic, share: t.share, count: t.count, title: (t.examples || []).join(" / ") })), "topics"));
    box.append(bars("评论意图分布", (rep.intent_mix || []).filter((m) => m.count).map((m) => ({
      label: m.label || C.INTENT[m.intent] || m.intent, share: m.share, count: m.count })), "intents"));
    const cbox = C.el("div", { class: "complaints" }, C.el("h3", { text: "主要投诉" }));
    const complaints = rep.top_complaints || [];
    if (!complaints.length) cbox.append(C.el("p", { class: "muted", text: "暂无投诉" }));
    for (const c of complaints) {
      cbox.append(C.el("div", { class: "complaint" },
        C.el("div", {}, C.el("span", { class: `intent ${c.intent}`, text: c.label || C.INTENT[c.intent] }),
          ` ${c.count} 条（${pct(c.share)}）`),
        (c.keywords || []).length ? C.el("div", { class: "small" }, "关键词：", c.keywords.map((k) => `${k.word}(${k.count})`).join("、")) : null,
        (c.examples || []).length ? C.el("div", { class: "small muted" }, "例：", c.examples.join(" / ")) : null));
    }
    box.append(cbox);
    out.replaceChildren(box);
  }

  function day(iso) {
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : isoDay(d);
  }

  async function downloadReport() {
    try {
      const q = range();
      q.set("format", "html");
      const resp = await C.api(`/v1/reports/hotspots?${q}`, { raw: true });
      C.download(new Blob([await resp.text()], { type: "text/html;charset=utf-8" }), `咨询热点报告-${isoDay(new Date())}.html`);
    } catch (e) {
      C.toast(e.message, "error", 6000);
    }
  }

  // ------------------------------------------------------------------ manual ingest

  async function addComments(ev) {
    ev.preventDefault();
    const lines = $("c-add-text").value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!lines.length) return;
    const stamp = Date.now();
    const items = lines.map((text, i) => ({ id: `console-${stamp}-${i}`, text, ts: stamp / 1000 }));
    const byId = new Map(items.map((c) => [c.id, c]));
    try {
      const body = await C.api("/v1/comments", { json: { comments: items } });
      for (const c of itemsOf(body)) upsert(Object.assign({}, byId.get(String(c.id)) || {}, c), { fresh: true });
      $("c-add-text").value = "";
      C.toast(`已提交 ${items.length} 条评论`, "ok");
    } catch (e) {
      C.toast(e.message, "error", 6000);
    }
  }

  function init() {
    for (const [k, v] of Object.entries(C.INTENT)) $("c-intent").append(C.el("option", { value: k, text: v }));
    for (const [k, v] of [["open", "待处理"], ["replied", "已回复"], ["routed", "已转交"], ["hidden", "已隐藏"], ["resolved", "已解决"]]) {
      $("c-status").append(C.el("option", { value: k, text: v }));
    }
    $("c-intent").addEventListener("change", load);
    $("c-status").addEventListener("change", load);
    $("c-refresh").addEventListener("click", load);
    $("c-add-toggle").addEventListener("click", () => { $("c-add").hidden = !$("c-add").hidden; });
    $("c-add").addEventListener("submit", addComments);
    $("h-load").addEventListener("click", loadReport);
    $("h-download").addEventListener("click", downloadReport);
    $("spike-close").addEventListener("click", () => { $("spike-alert").hidden = true; });
    $("c-actor").value = localStorage.getItem("screening.actor") || "";
    $("c-actor").placeholder = C.me.name || "操作人";
    const now = new Date();
    $("h-to").value = isoDay(now);
    $("h-from").value = isoDay(new Date(now.getTime() - 6 * 86400000));
  }

  function activate() {
    if (!state.started) {
      state.started = true;
      load();
      connect();
      loadReport();
    }
  }

  function stop() {
    state.started = false;
    clearTimeout(state.reconnect);
    if (state.es) { state.es.close(); state.es = null; }
  }

  return { init, activate, stop, state, spike, upsert };
})();
