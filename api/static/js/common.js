/* Shared helpers: the access key, API calls, labels, toasts, downloads, alert sound. */
"use strict";

const C = (() => {
  const KEY_NAME = "screening.apiKey";
  const listeners = { logout: [] };

  const SEVERITY = {
    violation: "违规",
    needs_qualification: "需资质",
    needs_evidence: "需证据",
    warning: "提示",
  };
  const SEVERITY_ORDER = ["violation", "needs_qualification", "needs_evidence", "warning"];
  const INTENT = {
    quality: "质量投诉",
    logistics: "物流",
    after_sales: "售后",
    price: "价格",
    question: "咨询",
    abuse: "辱骂",
    spam: "广告/引流",
    praise: "好评",
    illegal: "违法内容",
    other: "其他",
  };
  // Only these intents may ever be hidden (电子商务法: negative comments are answered, not hidden).
  const HIDEABLE = new Set(["abuse", "spam", "illegal"]);
  const ACTION = {
    reply: "回复",
    route_after_sales: "转售后",
    route_ops: "同步运营",
    hide: "隐藏",
    none: "无需处理",
  };
  const STATUS = {
    new: "待处理",
    pending: "待处理",
    open: "待处理",
    replied: "已回复",
    routed: "已转交",
    reply_sent: "已回复",
    hidden: "已隐藏",
    resolved: "已解决",
  };
  let categories = [
    ["general", "通用"], ["cosmetics", "化妆品"], ["food", "普通食品"], ["health_food", "保健食品"],
    ["apparel", "服饰"], ["appliance", "家电"], ["education", "教育培训"], ["finance", "金融理财"],
  ];

  function getKey() { return sessionStorage.getItem(KEY_NAME) || ""; }
  function setKey(k) { sessionStorage.setItem(KEY_NAME, k); }
  function clearKey() { sessionStorage.removeItem(KEY_NAME); }

  class ApiError extends Error {
    constructor(message, status, code) { super(message); this.status = status; this.code = code; }
  }

  function authMessage(status) {
    return status === 403 ? "该访问密钥无权使用此功能，请换一个密钥后重新登录。"
                          : "访问密钥无效或已过期，请重新输入。";
  }

  function onLogout(fn) { listeners.logout.push(fn); }
  function logout(message) {
    clearKey();
    for (const fn of listeners.logout) { try { fn(message || ""); } catch (e) { console.error(e); } }
  }

  async function errorMessage(resp) {
    let text = "";
    try { text = await resp.text(); } catch (e) { /* ignore */ }
    try {
      const body = JSON.parse(text);
      const d = body.detail;
      if (d && typeof d === "object" && !Array.isArray(d) && d.message) return [d.message, d.code];
      if (Array.isArray(d) && d.length) return ["请求参数有误：" + d.map((x) => (x.loc || []).slice(-1)[0] + " " + (x.msg || "")).join("；"), "validation"];
      if (typeof d === "string") return [d, ""];
    } catch (e) { /* not JSON */ }
    return [`服务器返回错误（${resp.status}）`, String(resp.status)];
  }

  /** fetch with the key; throws ApiError with a Chinese message; 401/403 → back to login. */
  async function api(path, opts = {}) {
    const headers = Object.assign({ "X-API-Key": getKey() }, opts.headers || {});
    const init = { method: opts.method || (opts.json !== undefined || opts.form ? "POST" : "GET"), headers };
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.json); }
    else if (opts.form) init.body = opts.form;
    if (opts.signal) init.signal = opts.signal;
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new ApiError("无法连接服务器，请检查网络或服务是否已启动。", 0, "network");
    }
    if (resp.status === 401 || resp.status === 403) {
      const msg = authMessage(resp.status);
      logout(msg);
      throw new ApiError(msg, resp.status, "auth");
    }
    if (!resp.ok) {
      const [msg, code] = await errorMessage(resp);
      throw new ApiError(msg, resp.status, code);
    }
    if (opts.raw) return resp;
    const ct = resp.headers.get("content-type") || "";
    return ct.includes("application/json") ? resp.json() : resp.text();
  }

  /** Add ?key= for EventSource/WebSocket, which cannot send headers. */
  function withKey(path) {
    const sep = path.includes("?") ? "&" : "?";
    return `${path}${sep}key=${encodeURIComponent(getKey())}`;
  }
  function wsUrl(path) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}${withKey(path)}`;
  }

  /** After an EventSource/WebSocket failure: probe once so a rejected key sends the user to login. */
  async function checkAuth() {
    try { await api("/v1/whoami"); return true; } catch (e) { return !(e instanceof ApiError && e.code === "auth"); }
  }

  let toastTimer = null;
  function toast(message, kind = "info", ms = 3500) {
    const el = document.getElementById("toast");
    el.textContent = message;
    el.className = `toast ${kind}`;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, ms);
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) {
      const ta = document.createElement("textarea");
      ta.value = text;
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e2) { ok = false; }
      ta.remove();
      return ok;
    }
  }

  // One AudioContext, created on a user gesture (browsers block sound before that).
  let audioCtx = null;
  function unlockAudio() {
    try {
      if (!audioCtx) audioCtx = new (window.AudioContext || window.webkitAudioContext)();
      if (audioCtx.state === "suspended") audioCtx.resume();
    } catch (e) { audioCtx = null; }
  }
  /** Two short rising beeps, generated (no audio file). */
  function alertSound() {
    if (!audioCtx) unlockAudio();
    if (!audioCtx) return;
    const t0 = audioCtx.currentTime + 0.01;
    [[880, 0], [1320, 0.18]].forEach(([freq, dt]) => {
      const osc = audioCtx.createOscillator();
      const gain = audioCtx.createGain();
      osc.type = "square";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + dt);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + dt + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + dt + 0.15);
      osc.connect(gain).connect(audioCtx.destination);
      osc.start(t0 + dt);
      osc.stop(t0 + dt + 0.16);
    });
    C.soundsPlayed = (C.soundsPlayed || 0) + 1;
  }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
  }
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c != null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  function clock(seconds) {
    if (seconds == null || isNaN(seconds)) return "";
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), ss = s % 60;
    const p = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${p(m)}:${p(ss)}` : `${p(m)}:${p(ss)}`;
  }
  function when(ts) {
    if (ts == null || ts === "") return "";
    const d = typeof ts === "number" ? new Date(ts < 1e12 ? ts * 1000 : ts) : new Date(ts);
    if (isNaN(d)) return String(ts);
    const p = (n) => String(n).padStart(2, "0");
    const today = new Date();
    const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    return d.toDateString() === today.toDateString() ? time : `${d.getMonth() + 1}月${d.getDate()}日 ${time}`;
  }
  function fillCategories(select, value) {
    select.innerHTML = "";
    for (const [v, label] of categories) select.append(el("option", { value: v, text: label }));
    if (value) select.value = value;
  }
  function setCategories(list) {
    if (Array.isArray(list) && list.length) categories = list.map((c) => [c.value, c.label]);
  }

  return {
    SEVERITY, SEVERITY_ORDER, INTENT, HIDEABLE, ACTION, STATUS,
    getKey, setKey, clearKey, api, ApiError, withKey, wsUrl, checkAuth, onLogout, logout, authMessage,
    toast, download, copyText, unlockAudio, alertSound, esc, el, clock, when, fillCategories, setCategories,
    soundsPlayed: 0,
    me: { role: "", name: "" },
  };
})();
