/* 脚本审核: paste/upload a script, see every finding highlighted, accept suggestions, download. */
"use strict";

const ScriptReview = (() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    chars: [],        // the reviewed text as code points (finding offsets are code-point offsets)
    findings: [],     // sorted by start, non-overlapping ones rendered inline
    chosen: new Map(),// finding index -> accepted suggestion
    category: "general",
    name: "",         // uploaded file name, for download names
    summary: null,
    pinned: null,     // index of the finding whose popover is pinned
  };

  function baseName() {
    const n = state.name.replace(/\.[^.]+$/, "");
    return n || "直播脚本";
  }

  function slice(a, b) { return state.chars.slice(a, b).join(""); }

  function rewritten() {
    let out = "", pos = 0;
    state.findings.forEach((f, i) => {
      if (!state.chosen.has(i) || f.start < pos) return;
      out += slice(pos, f.start) + state.chosen.get(i);
      pos = f.end;
    });
    return out + slice(pos, state.chars.length);
  }

  async function loadFile(file) {
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    $("script-file-name").textContent = `正在读取 ${file.name}…`;
    try {
      const body = await C.api("/v1/scripts/extract", { form });
      $("script-text").value = body.text;
      state.name = file.name;
      $("script-file-name").textContent = `已载入：${file.name}（${Array.from(body.text).length} 字）`;
    } catch (e) {
      $("script-file-name").textContent = "";
      C.toast(e.message, "error", 6000);
    } finally {
      $("script-file").value = "";
    }
  }

  async function review() {
    const text = $("script-text").value;
    if (!text.trim()) { C.toast("请先粘贴脚本或上传脚本文件", "error"); return; }
    state.category = $("script-category").value;
    $("script-review").disabled = true;
    $("script-busy").hidden = false;
    try {
      const body = await C.api("/v1/scripts/review", { json: { text, category: state.category } });
      state.chars = Array.from(text);
      state.findings = body.findings.slice().sort((a, b) => a.start - b.start || b.end - a.end);
      state.summary = body.summary;
      state.chosen = new Map();
      state.pinned = null;
      $("script-input").hidden = true;
      $("script-result").hidden = false;
      render();
    } catch (e) {
      C.toast(e.message, "error", 6000);
    } finally {
      $("script-review").disabled = false;
      $("script-busy").hidden = true;
    }
  }

  function suggestionButtons(i, f) {
    const wrap = C.el("div", { class: "suggestions" });
    if (!f.suggestions.length) {
      wrap.append(C.el("span", { class: "muted small", text: "无替换建议，请人工修改或补充资质/证据" }));
      return wrap;
    }
    for (const s of f.suggestions) {
      const active = state.chosen.get(i) === s;
      wrap.append(C.el("button", {
        class: "btn small sugg" + (active ? " active" : ""), type: "button", title: "采纳此改写",
        dataset: { i: String(i) }, text: s, onclick: (ev) => { ev.stopPropagation(); accept(i, s); },
      }));
    }
    if (state.chosen.has(i)) {
      wrap.append(C.el("button", { class: "btn small ghost keep", type: "button", text: "保留原文",
        onclick: (ev) => { ev.stopPropagation(); accept(i, null); } }));
    }
    return wrap;
  }

  function details(i, f) {
    return [
      C.el("div", { class: "fhead" },
        C.el("span", { class: `sev-chip ${f.severity}`, text: C.SEVERITY[f.severity] || f.severity }),
        C.el("q", { text: f.text }),
        state.chosen.has(i) ? C.el("span", { class: "accepted-tag", text: `已采纳：${state.chosen.get(i)}` }) : null),
      C.el("div", { class: "fmsg", text: f.message }),
      C.el("div", { class: "flaw small" }, "依据：", f.law || "—"),
      C.el("div", { class: "frule small muted" }, "规则：", C.el("code", { text: f.rule_id })),
      suggestionButtons(i, f),
    ];
  }

  function render() {
    const box = $("script-annotated");
    box.innerHTML = "";
    let pos = 0;
    state.findings.forEach((f, i) => {
      if (f.start < pos) return; // overlapping finding: listed, not highlighted twice
      box.append(slice(pos, f.start));
      const mark = C.el("mark", { class: `hl ${f.severity}`, tabindex: "0", dataset: { i: String(i) },
        "aria-label": `${C.SEVERITY[f.severity]}：${f.text}` });
      if (state.chosen.has(i)) {
        mark.classList.add("accepted");
        mark.append(C.el("del", { text: slice(f.start, f.end) }), C.el("ins", { text: state.chosen.get(i) }));
      } else {
        mark.textContent = slice(f.start, f.end);
      }
      box.append(mark);
      pos = f.end;
    });
    box.append(slice(pos, state.chars.length));

    const list = $("script-findings");
    list.innerHTML = "";
    if (!state.findings.length) list.append(C.el("li", { class: "none", text: "未发现风险用语，脚本可以使用。" }));
    state.findings.forEach((f, i) => {
      list.append(C.el("li", { class: `finding ${f.severity}` + (state.chosen.has(i) ? " done" : ""), id: `finding-${i}`,
        dataset: { i: String(i) }, onclick: () => focusMark(i) }, details(i, f)));
    });

    const s = state.summary || { by_severity: {} };
    const parts = C.SEVERITY_ORDER.filter((k) => s.by_severity[k]).map((k) =>
      C.el("span", { class: `sev-chip ${k}`, text: `${C.SEVERITY[k]} ${s.by_severity[k]}` }));
    const sum = $("script-summary");
    sum.innerHTML = "";
    sum.append(C.el("strong", { text: state.findings.length ? `共 ${state.findings.length} 处风险` : "未发现风险" }), ...parts,
      C.el("span", { class: "muted small", id: "script-accepted-count",
        text: `已采纳 ${state.chosen.size} / ${state.findings.filter((f) => f.suggestions.length).length}` }));
    $("script-accept-all").disabled = !state.findings.some((f) => f.suggestions.length);
    if (state.pinned != null) showPop(state.pinned, true);
  }

  function accept(i, suggestion) {
    if (suggestion == null) state.chosen.delete(i); else state.chosen.set(i, suggestion);
    render();
  }

  function acceptAll() {
    state.findings.forEach((f, i) => { if (f.suggestions.length && !state.chosen.has(i)) state.chosen.set(i, f.suggestions[0]); });
    hidePop();
    render();
    C.toast(`已采纳全部 ${state.chosen.size} 条建议`, "ok");
  }

  function focusMark(i) {
    const mark = document.querySelector(`#script-annotated mark[data-i="${i}"]`);
    if (mark) { mark.scrollIntoView({ block: "center", behavior: "smooth" }); mark.focus({ preventScroll: true }); }
  }

  function showPop(i, pin) {
    const mark = document.querySelector(`#script-annotated mark[data-i="${i}"]`);
    const pop = $("finding-pop");
    if (!mark) { hidePop(); return; }
    pop.innerHTML = "";
    pop.append(...details(i, state.findings[i]));
    if (pin) {
      pop.append(C.el("button", { class: "btn ghost small pop-close", type: "button", text: "关闭", onclick: hidePop }));
      state.pinned = i;
    }
    pop.classList.toggle("pinned", !!pin);
    pop.hidden = false;
    const r = mark.getBoundingClientRect();
    const w = Math.min(380, window.innerWidth - 16);
    pop.style.width = `${w}px`;
    pop.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - w - 8)) + window.scrollX}px`;
    pop.style.top = `${r.bottom + 6 + window.scrollY}px`;
    document.querySelectorAll("#script-findings li.sel").forEach((li) => li.classList.remove("sel"));
    const li = $(`finding-${i}`);
    if (li) li.classList.add("sel");
  }

  function hidePop() {
    state.pinned = null;
    $("finding-pop").hidden = true;
    document.querySelectorAll("#script-findings li.sel").forEach((li) => li.classList.remove("sel"));
  }

  async function downloadReport() {
    try {
      const resp = await C.api("/v1/scripts/review?format=html",
        { json: { text: state.chars.join(""), category: state.category }, raw: true });
      C.download(new Blob([await resp.text()], { type: "text/html;charset=utf-8" }), `${baseName()}-审核报告.html`);
    } catch (e) {
      C.toast(e.message, "error", 6000);
    }
  }

  function init() {
    C.fillCategories($("script-category"), "general");
    $("script-file").addEventListener("change", (e) => loadFile(e.target.files[0]));
    $("script-text").addEventListener("input", () => { if (!$("script-text").value) state.name = ""; });
    $("script-review").addEventListener("click", review);
    $("script-accept-all").addEventListener("click", acceptAll);
    $("script-reset").addEventListener("click", () => { state.chosen.clear(); hidePop(); render(); });
    $("script-download-txt").addEventListener("click", () =>
      C.download(new Blob([rewritten()], { type: "text/plain;charset=utf-8" }), `${baseName()}-改写.txt`));
    $("script-download-html").addEventListener("click", downloadReport);
    $("script-edit").addEventListener("click", () => {
      $("script-text").value = rewritten();
      hidePop();
      $("script-result").hidden = true;
      $("script-input").hidden = false;
    });
    const box = $("script-annotated");
    box.addEventListener("mouseover", (e) => {
      const m = e.target.closest("mark[data-i]");
      if (m && state.pinned == null) showPop(Number(m.dataset.i), false);
    });
    box.addEventListener("mouseout", (e) => {
      const m = e.target.closest("mark[data-i]");
      if (m && state.pinned == null && !m.contains(e.relatedTarget)) $("finding-pop").hidden = true;
    });
    box.addEventListener("click", (e) => {
      const m = e.target.closest("mark[data-i]");
      if (!m) return;
      e.stopPropagation();
      const i = Number(m.dataset.i);
      showPop(i, true);
      const li = $(`finding-${i}`);
      if (li) li.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
    box.addEventListener("keydown", (e) => {
      const m = e.target.closest("mark[data-i]");
      if (m && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); showPop(Number(m.dataset.i), true); }
      if (e.key === "Escape") hidePop();
    });
    document.addEventListener("click", (e) => {
      if (state.pinned != null && !e.target.closest("#finding-pop") && !e.target.closest("mark[data-i]")) hidePop();
    });
  }

  return { init, rewritten, state };
})();
