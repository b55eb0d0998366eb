/* 直播监控: start a session (stream URL or microphone), live transcript, alert banner + sound, record. */
"use strict";

const Live = (() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    id: null,
    running: false,
    startedAt: 0,
    timer: null,
    events: null,     // WebSocket or EventSource of the session's events
    audioWs: null,    // WebSocket the microphone PCM goes to
    mic: null,        // {stream, ctx, node, src}
    lines: [],        // transcript lines: {start, end, text, ranges: [[a, b, severity]], el}
    pending: [],      // findings whose text is not final yet
    full: [],         // all final transcript text, as code points (finding offsets index it)
    partialEl: null,
    findings: [],
    seen: new Set(),  // finding keys already shown (never alert twice)
    alertTimer: null,
  };

  // ------------------------------------------------------------------ transcript
  // Final transcript pieces are appended to `full` (all final text, as code points) and shown
  // in lines (a new line after a pause, a sentence end or ~40 characters).  A finding carries
  // start/end offsets into that final text; when they do not match (or for the stored record,
  // whose segments are trimmed) its text is searched in the lines its audio overlaps.
  // Findings can arrive before their characters are final: they wait in `pending`.
  const LINE_GAP_S = 0.8;
  const PUNCT = /^[，,。.！!？?、；;：:\s]$/;

  function newLine(start, end, text, offset) {
    return { start, end, text: text || "", offset: offset || 0, ranges: [], el: C.el("p", { class: "seg" }) };
  }

  function renderLine(line) {
    line.el.replaceChildren(C.el("span", { class: "t", text: C.clock(line.start) }));
    const chars = Array.from(line.text);
    let pos = 0;
    while (pos < chars.length && PUNCT.test(chars[pos])) pos++; // a line does not start with a comma
    for (const [a, b, sev] of line.ranges.slice().sort((x, y) => x[0] - y[0])) {
      if (b <= pos) continue;
      const a2 = Math.max(a, pos);
      line.el.append(chars.slice(pos, a2).join(""));
      line.el.append(C.el("mark", { class: `hl ${sev}`, text: chars.slice(a2, b).join("") }));
      pos = b;
    }
    line.el.append(chars.slice(pos).join(""));
  }

  /** Highlight finding f; returns the changed lines ([] if its text is not there yet). */
  function place(f, lines, full) {
    const phrase = Array.from(f.text || "");
    const sev = f.severity || "violation";
    if (!phrase.length) return lines.slice(-1);
    if (full && Number.isInteger(f.start) && Number.isInteger(f.end) && f.end <= full.length &&
        full.slice(f.start, f.end).join("") === f.text) {
      const hit = [];
      for (const l of lines) {
        const n = Array.from(l.text).length;
        const a = Math.max(f.start - l.offset, 0), b = Math.min(f.end - l.offset, n);
        if (a < b) { l.ranges.push([a, b, sev]); hit.push(l); }
      }
      if (hit.length) return hit;
    }
    const near = (l) => f.audio_start == null || l.start == null ||
      (f.audio_start < l.end + 1.5 && f.audio_end > l.start - 1.5);
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = lines[i];
      if (!near(l)) continue;
      const chars = Array.from(l.text);
      for (let a = chars.length - phrase.length; a >= 0; a--) {
        if (chars.slice(a, a + phrase.length).join("") !== f.text) continue;
        const b = a + phrase.length;
        if (l.ranges.some(([x, y]) => a < y && x < b)) continue;
        l.ranges.push([a, b, sev]);
        return [l];
      }
    }
    return [];
  }

  function scrollTranscript() {
    const box = $("live-transcript");
    if (box.scrollHeight - box.scrollTop - box.clientHeight < 120) box.scrollTop = box.scrollHeight;
  }

  function placePending() {
    state.pending = state.pending.filter((f) => {
      const changed = place(f, state.lines, state.full);
      changed.forEach(renderLine);
      return !changed.length;
    });
  }

  function startsLine(line, ev, piece) {
    if (!line) return true;
    if (ev.start != null && line.end != null && ev.start - line.end > LINE_GAP_S) return true;
    const n = Array.from(line.text).length;
    if (/[。！？!?]$/.test(line.text)) return true;
    if (n >= 36 && (/[，,；;]$/.test(line.text) || PUNCT.test(piece[0]))) return true;
    return n >= 60;
  }

  function onTranscript(ev) {
    const box = $("live-transcript");
    const text = ev.text || "";
    if (ev.final === false) {
      if (!state.partialEl) state.partialEl = C.el("p", { class: "seg partial" });
      state.partialEl.textContent = text;
      box.append(state.partialEl); // keep it last
      scrollTranscript();
      return;
    }
    if (state.partialEl) { state.partialEl.remove(); state.partialEl = null; }
    if (!text) return;
    const piece = Array.from(text);
    let line = state.lines[state.lines.length - 1];
    if (startsLine(line, ev, piece)) {
      line = newLine(ev.start, ev.end, "", state.full.length);
      state.lines.push(line);
      box.append(line.el);
      if (state.lines.length > 3000) state.lines.shift().el.remove(); // a 3-hour stream stays light
    }
    line.text += text;
    line.end = ev.end != null ? ev.end : line.end;
    for (const ch of piece) state.full.push(ch);
    placePending();
    renderLine(line);
    scrollTranscript();
  }

  function findingKey(f) {
    return [f.rule_id, f.audio_start, f.audio_end, f.start].join("|");
  }

  // ------------------------------------------------------------------ alerts

  function cueOf(f) {
    if (f.cue) return f.cue;
    return `提醒主播：「${f.text}」${f.message ? "——" + f.message : "属违规用语"}`;
  }
  function fixOf(f) {
    if (f.correction) return f.correction;
    if (f.suggestions && f.suggestions.length) return `建议改说：「${f.suggestions[0]}」`;
    return "";
  }

  function showAlert(f) {
    $("live-alert-cue").textContent = cueOf(f);
    const fix = fixOf(f);
    $("live-alert-fix").textContent = fix;
    $("live-alert-fix").hidden = !fix;
    $("live-alert-time").textContent = f.audio_start != null ? `（直播 ${C.clock(f.audio_start)}）` : "";
    const banner = $("live-alert");
    banner.hidden = false;
    banner.classList.remove("flash");
    void banner.offsetWidth; // restart the animation
    banner.classList.add("flash");
    if ($("live-sound").checked) C.alertSound();
    clearTimeout(state.alertTimer);
    state.alertTimer = setTimeout(() => { banner.hidden = true; }, 30000);
  }

  function onFinding(f) {
    const changed = place(f, state.lines, state.full);
    if (changed.length) changed.forEach(renderLine); else state.pending.push(f);
    const key = findingKey(f);
    if (state.seen.has(key)) return; // replayed after a reconnect: highlighted again, not alerted again
    state.seen.add(key);
    state.findings.push(f);
    const list = $("live-findings");
    const latency = f.emitted_at != null && f.audio_end != null ? f.emitted_at - f.audio_end : null;
    list.prepend(C.el("li", { class: `finding ${f.severity}` },
      C.el("div", { class: "fhead" },
        C.el("span", { class: "muted small", text: C.clock(f.audio_start) }),
        C.el("span", { class: `sev-chip ${f.severity}`, text: C.SEVERITY[f.severity] || f.severity }),
        C.el("q", { text: f.text }),
        latency != null && latency >= 0 ? C.el("span", { class: "muted small", text: `延迟 ${latency.toFixed(1)} 秒` }) : null),
      C.el("div", { class: "fmsg", text: f.message || "" }),
      fixOf(f) ? C.el("div", { class: "small", text: fixOf(f) }) : null,
      f.law ? C.el("div", { class: "flaw small", text: `依据：${f.law}` }) : null));
    $("live-count").textContent = String(state.findings.length);
    showAlert(f);
  }

  function setStatus(text, kind) {
    const b = $("live-status");
    b.textContent = text;
    b.className = `badge ${kind || ""}`;
  }

  function onEvent(ev) {
    switch (ev.type) {
      case "transcript": onTranscript(ev); break;
      case "finding": onFinding(ev); break;
      case "status":
        if (ev.status) setStatus(STATUS_ZH[ev.status] || ev.status, ev.status === "running" ? "running" : ev.status === "error" ? "error" : "");
        if (ev.error) C.toast(ev.error, "error", 10000);
        if (ENDED.includes(ev.status)) ended(ev);
        break;
      case "error":
        C.toast(ev.message || "直播流处理出错", "error", 8000);
        setStatus("出错", "error");
        break;
      case "end": case "ended": case "closed": case "stopped": ended(ev); break;
      default: break;
    }
  }
  const STATUS_ZH = { created: "已创建", running: "监控中", stopped: "已停止", finished: "已结束", limit: "已达时长上限",
    error: "出错", interrupted: "服务重启中断" };
  const ENDED = ["finished", "stopped", "limit", "error", "interrupted"];

  // ------------------------------------------------------------------ connections

  function openEvents(id) {
    const path = `/v1/live/sessions/${encodeURIComponent(id)}/events`;
    const ws = new WebSocket(C.wsUrl(path));
    state.events = ws;
    let opened = false;
    ws.onopen = () => { opened = true; };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      onEvent(ev);
    };
    ws.onclose = async (e) => {
      if (state.events !== ws) return;
      state.events = null;
      if (e.code === 4401 || e.code === 4403) { C.logout(C.authMessage(e.code - 4000)); return; }
      if (!state.running) return;
      if (!opened) { openSse(path); return; }
      if (e.code === 1000 || e.code === 4404) { ended({}); return; } // the server closed a finished session
      // dropped mid-session: reconnect; the server replays every event, so the transcript is rebuilt
      setStatus("重新连接中…", "");
      await new Promise((r) => setTimeout(r, 1000));
      if (!state.running || state.id !== id || !(await C.checkAuth())) return;
      clearTranscript();
      openEvents(id);
      setStatus("监控中", "running");
    };
  }

  function openSse(path) {
    const es = new EventSource(C.withKey(path));
    state.events = es;
    es.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore */ } };
    for (const t of ["transcript", "finding", "status", "error", "end"]) {
      es.addEventListener(t, (m) => { try { onEvent(Object.assign({ type: t }, JSON.parse(m.data))); } catch (e) { /* ignore */ } });
    }
    es.onerror = async () => {
      if (es.readyState === EventSource.CLOSED && state.events === es) {
        state.events = null;
        if (await C.checkAuth() && state.running) ended({});
      }
    };
  }

  function closeEvents() {
    const e = state.events;
    state.events = null;
    if (e) try { e.close(); } catch (err) { /* ignore */ }
  }

  async function startMic(id) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("当前页面无法使用麦克风：浏览器只允许在 https 或本机地址（127.0.0.1 / localhost）下采集声音。");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (e) {
      throw new Error(e.name === "NotAllowedError" ? "麦克风权限被拒绝，请在浏览器地址栏允许使用麦克风。"
                                                   : `无法打开麦克风：${e.message || e.name}`);
    }
    const ws = new WebSocket(C.wsUrl(`/v1/live/sessions/${encodeURIComponent(id)}/audio`));
    ws.binaryType = "arraybuffer";
    state.audioWs = ws;
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error("音频上传通道连接失败"));
      ws.onclose = (e) => {
        if (e.code === 4401 || e.code === 4403) C.logout(C.authMessage(e.code - 4000));
        reject(new Error(e.reason ? `音频上传通道已关闭：${e.reason}` : "音频上传通道已关闭"));
      };
    });
    ws.onclose = (e) => {
      if (state.audioWs !== ws) return;
      state.audioWs = null;
      if (e.code === 4401 || e.code === 4403) { C.logout(C.authMessage(e.code - 4000)); return; }
      if (state.running) {
        C.toast(e.reason ? `音频上传已中断：${e.reason}` : "音频上传已中断", "error", 8000);
        stopMic();
      }
    };
    ws.onmessage = (m) => {  // the audio socket may report errors as JSON text frames
      if (typeof m.data !== "string") return;
      try { const ev = JSON.parse(m.data); if (ev.type === "error") C.toast(ev.message || "音频出错", "error", 8000); } catch (e) { /* ignore */ }
    };

    // Ask for a 16 kHz context (the browser resamples the microphone well); else downsample ourselves.
    let ctx;
    try { ctx = new AudioContext({ sampleRate: 16000 }); } catch (e) { ctx = new AudioContext(); }
    let src;
    try { src = ctx.createMediaStreamSource(stream); } catch (e) {
      ctx.close();
      ctx = new AudioContext();
      src = ctx.createMediaStreamSource(stream);
    }
    const send = (chunk) => {
      meter(chunk.rms);
      if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < 1 << 20) ws.send(chunk.pcm);
    };
    let node;
    if (ctx.audioWorklet) {
      await ctx.audioWorklet.addModule("/static/js/pcm-worklet.js");
      node = new AudioWorkletNode(ctx, "pcm16k", { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1 });
      node.port.onmessage = (m) => send(m.data);
      src.connect(node);
    } else {
      const ds = new Pcm16kDownsampler(ctx.sampleRate);
      node = ctx.createScriptProcessor(4096, 1, 1);
      node.onaudioprocess = (e) => { for (const c of ds.push(e.inputBuffer.getChannelData(0))) send(c); };
      const mute = ctx.createGain();
      mute.gain.value = 0;
      src.connect(node);
      node.connect(mute).connect(ctx.destination);
    }
    if (ctx.state === "suspended") await ctx.resume();
    state.mic = { stream, ctx, node, src };
    $("live-level").hidden = false;
  }

  function meter(rms) {
    const bar = $("live-level").firstElementChild;
    bar.style.width = `${Math.min(100, Math.round(Math.sqrt(rms) * 160))}%`;
  }

  function stopMic() {
    const m = state.mic;
    state.mic = null;
    if (m) {
      try { m.src.disconnect(); } catch (e) { /* ignore */ }
      try { m.node.disconnect(); } catch (e) { /* ignore */ }
      m.stream.getTracks().forEach((t) => t.stop());
      m.ctx.close();
    }
    const ws = state.audioWs;
    state.audioWs = null;
    if (ws && ws.readyState === WebSocket.OPEN) { try { ws.send("end"); } catch (e) { /* ignore */ } }
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, "stop");
    $("live-level").hidden = true;
  }

  // ------------------------------------------------------------------ session lifecycle

  function clearTranscript() {
    state.lines = [];
    state.full = [];
    state.pending = [];
    state.partialEl = null;
    $("live-transcript").innerHTML = "";
  }

  function reset() {
    clearTranscript();
    state.findings = [];
    state.seen = new Set();
    $("live-findings").innerHTML = "";
    $("live-count").textContent = "0";
    $("live-alert").hidden = true;
    $("live-record").hidden = true;
  }

  async function start() {
    const source = document.querySelector("input[name=live-source]:checked").value;
    const url = $("live-url").value.trim();
    if (source === "url" && !url) { C.toast("请填写直播流地址", "error"); return; }
    C.unlockAudio();
    $("live-start-btn").disabled = true;
    const body = { category: $("live-category").value };
    if (source === "url") body.url = url;
    let session;
    try {
      session = await C.api("/v1/live/sessions", { json: body });
    } catch (e) {
      C.toast(e.message, "error", 8000);
      $("live-start-btn").disabled = false;
      return;
    }
    reset();
    state.id = session.id || session.session_id;
    state.running = true;
    state.startedAt = Date.now();
    $("live-session-id").textContent = state.id;
    $("live-start").hidden = true;
    $("live-session").hidden = false;
    $("live-stop").hidden = false;
    $("live-record-btn").hidden = true;
    $("live-new").hidden = true;
    $("live-level").hidden = true;
    setStatus("监控中", "running");
    $("live-title").textContent = source === "mic" ? "麦克风监控中" : "直播流监控中";
    clearInterval(state.timer);
    state.timer = setInterval(() => {
      $("live-elapsed").textContent = `已监控 ${C.clock((Date.now() - state.startedAt) / 1000)}`;
    }, 1000);
    openEvents(state.id);
    if (source === "mic") {
      try {
        await startMic(state.id);
      } catch (e) {
        C.toast(e.message, "error", 10000);
        await stop();
      }
    }
    $("live-start-btn").disabled = false;
  }

  async function stop() {
    if (!state.id) return;
    const id = state.id;
    stopMic();
    $("live-stop").disabled = true;
    setStatus("正在停止", "");
    try {
      await C.api(`/v1/live/sessions/${encodeURIComponent(id)}/stop`, { method: "POST" });
    } catch (e) {
      if (!(e instanceof C.ApiError && e.code === "auth")) C.toast(e.message, "error", 6000);
    }
    $("live-stop").disabled = false;
    // the final status event normally closes the session view; do it anyway if it does not come
    setTimeout(() => { if (state.id === id) ended({ status: "stopped" }); }, 3000);
  }

  function ended(ev) {
    if (!state.running) return;
    state.running = false;
    clearInterval(state.timer);
    stopMic();
    closeEvents();
    const st = ev && ev.status;
    setStatus(STATUS_ZH[st] || "已停止", st === "error" ? "error" : "stopped");
    $("live-title").textContent = "监控已结束";
    $("live-stop").hidden = true;
    $("live-record-btn").hidden = false;
    $("live-new").hidden = false;
  }

  async function showRecord() {
    if (!state.id) return;
    let rec;
    try {
      rec = await C.api(`/v1/live/sessions/${encodeURIComponent(state.id)}`);
    } catch (e) {
      C.toast(e.message, "error", 6000);
      return;
    }
    const findings = rec.findings || [];
    const lines = (rec.segments || []).map((g) => newLine(g.start, g.end, g.text));
    if (!lines.length && rec.transcript) lines.push(newLine(null, null, rec.transcript));
    for (const f of findings) place(f, lines, null);
    const box = $("live-record-transcript");
    box.replaceChildren();
    for (const l of lines) { renderLine(l); box.append(l.el); }
    if (!lines.length) box.append(C.el("p", { class: "muted", text: "没有转写内容" }));
    const tbody = $("live-record-findings");
    tbody.innerHTML = "";
    for (const f of findings) {
      tbody.append(C.el("tr", {},
        C.el("td", { text: C.clock(f.audio_start) }),
        C.el("td", {}, C.el("mark", { class: `hl ${f.severity}`, text: f.text })),
        C.el("td", {}, C.el("span", { class: `sev-chip ${f.severity}`, text: C.SEVERITY[f.severity] || f.severity })),
        C.el("td", { text: f.message || "" }),
        C.el("td", { text: (f.suggestions || [])[0] || "" })));
    }
    if (!findings.length) tbody.append(C.el("tr", {}, C.el("td", { colspan: "5", class: "muted", text: "本场未发现违规用语" })));
    const meta = [];
    if (rec.source) meta.push(`来源：${rec.source}`);
    if (rec.started_at) meta.push(`开始：${C.when(rec.started_at)}`);
    if (rec.ended_at || rec.stopped_at) meta.push(`结束：${C.when(rec.ended_at || rec.stopped_at)}`);
    if (rec.status) meta.push(`状态：${STATUS_ZH[rec.status] || rec.status}`);
    meta.push(`违规 ${findings.length} 处`);
    $("live-record-meta").textContent = meta.join(" · ");
    $("live-alert").hidden = true;
    $("live-record").hidden = false;
    $("live-record").scrollIntoView({ behavior: "smooth" });
  }

  function init() {
    C.fillCategories($("live-category"), "general");
    $("live-start-btn").addEventListener("click", start);
    $("live-stop").addEventListener("click", stop);
    $("live-record-btn").addEventListener("click", showRecord);
    $("live-new").addEventListener("click", () => {
      state.id = null;
      reset();
      $("live-session").hidden = true;
      $("live-start").hidden = false;
    });
    $("live-alert-close").addEventListener("click", () => { $("live-alert").hidden = true; });
    for (const r of document.querySelectorAll("input[name=live-source]")) {
      r.addEventListener("change", () => { $("live-url").disabled = r.value === "mic" && r.checked; });
    }
  }

  function teardown() {
    if (state.running) ended({});
  }

  return { init, stop: teardown, state, onEvent };
})();
