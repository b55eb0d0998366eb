/* Boot: login screen, role → tabs, tab switching. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  // Which console views each role may use (mirrors the server's access policy).
  const ROLE_VIEWS = {
    admin: ["script", "live", "comments"],
    reviewer: ["script"],
    live: ["live"],
    moderator: ["comments"],
    ingest: [],
  };
  const ROLE_LABEL = { admin: "管理员", reviewer: "脚本审核", live: "直播监控", moderator: "评论处理", ingest: "数据接入" };
  const VIEWS = {
    script: { mod: () => ScriptReview, inited: false },
    live: { mod: () => Live, inited: false },
    comments: { mod: () => Comments, inited: false },
  };
  let allowed = [];
  let current = null;

  function showLogin(message) {
    for (const v of Object.values(VIEWS)) {
      const m = v.mod();
      if (v.inited && m.stop) m.stop();
    }
    $("app").hidden = true;
    $("login").hidden = false;
    const err = $("login-error");
    err.textContent = message || "";
    err.hidden = !message;
    $("login-key").value = "";
    $("login-key").focus();
  }

  async function session(key) {
    // POST /v1/session checks the key (and sets the console cookie); 404/405: no access control on this server.
    let r;
    try {
      r = await fetch("/v1/session", { method: "POST", headers: { "X-API-Key": key } });
    } catch (e) {
      return { ok: false, message: "无法连接服务器，请检查网络或服务是否已启动。" };
    }
    if (r.status === 401 || r.status === 403) return { ok: false, message: C.authMessage(r.status) };
    if (r.status === 429) return { ok: false, message: "尝试过于频繁，请稍后再试。" };
    if (r.status === 404 || r.status === 405) return { ok: true, role: "admin", name: "" };
    if (!r.ok) return { ok: false, message: `登录失败（${r.status}），请稍后再试。` };
    const me = await r.json().catch(() => ({}));
    return { ok: true, role: me.role || "admin", name: me.name || "" };
  }

  async function enter(key) {
    const res = await session(key);
    if (!res.ok) { C.clearKey(); showLogin(res.message); return; }
    C.setKey(key);
    C.me = { role: res.role, name: res.name };
    allowed = ROLE_VIEWS[res.role] || [];
    if (!allowed.length) { C.clearKey(); showLogin("该密钥仅用于数据接入，不能使用控制台，请使用工作人员密钥。"); return; }
    try {
      const cfg = await C.api("/v1/console/config");
      C.setCategories(cfg.categories);
    } catch (e) { /* built-in labels are used */ }
    $("conn-status").textContent = `${ROLE_LABEL[res.role] || res.role}${res.name ? " · " + res.name : ""}`;
    for (const btn of document.querySelectorAll(".tab")) btn.hidden = !allowed.includes(btn.dataset.view);
    $("login").hidden = true;
    $("app").hidden = false;
    const want = location.hash.replace("#", "");
    show(allowed.includes(want) ? want : allowed[0]);
  }

  function show(name) {
    if (!allowed.includes(name)) return;
    current = name;
    for (const btn of document.querySelectorAll(".tab")) {
      const on = btn.dataset.view === name;
      btn.classList.toggle("active", on);
      btn.setAttribute("aria-selected", on ? "true" : "false");
    }
    for (const v of Object.keys(VIEWS)) $(`view-${v}`).hidden = v !== name;
    const v = VIEWS[name];
    const m = v.mod();
    if (!v.inited) { m.init(); v.inited = true; }
    if (m.activate) m.activate();
    if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  }

  document.addEventListener("DOMContentLoaded", () => {
    C.onLogout(showLogin);
    $("login-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const key = $("login-key").value.trim();
      if (!key) { showLogin("请输入访问密钥"); return; }
      enter(key);
    });
    for (const btn of document.querySelectorAll(".tab")) btn.addEventListener("click", () => show(btn.dataset.view));
    $("logout").addEventListener("click", async () => {
      try { await fetch("/v1/session", { method: "DELETE", headers: { "X-API-Key": C.getKey() } }); } catch (e) { /* ignore */ }
      C.logout("已退出登录。");
    });
    document.addEventListener("pointerdown", C.unlockAudio, { once: true });
    const key = C.getKey();
    if (key) enter(key); else showLogin("");
  });

  window.ConsoleApp = { show, current: () => current };
})();
