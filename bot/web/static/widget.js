/*
 * 合规通 H5 widget.
 *
 * Talks to the front only: GET /api/session (sender id + token), GET /api/history (the conversation from the
 * tracker; ?since=&mark= to poll), POST /api/messages {sender, message, channel: "widget"}.
 *
 * Safety rule of this file: text from the bot, an agent or the user is only ever put into the page with
 * textContent / createElement — never as markup. Button payloads are sent, never displayed.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "hegui.widget.token";
  var POLL_FAST = 3000; // while waiting for or talking to a human
  var POLL_SLOW = 15000; // otherwise: messages delivered by the registration system, agents taking over
  var TIME_GAP = 5 * 60; // seconds between messages that earn a time label
  var SUGGESTIONS = ["卖过期食品会被罚多少钱", "第一次被查能不罚吗", "打官司要交多少诉讼费", "信用修复怎么办", "转人工"];
  var STATUS_TEXT = {
    queued: "已为您转接人工客服，请稍候，工作人员会在这里回复您",
    taken: "人工客服已接入，正在为您服务"
  };

  var $messages = document.getElementById("messages");
  var $chips = document.getElementById("chips");
  var $form = document.getElementById("composer");
  var $input = document.getElementById("input");
  var $send = document.getElementById("send");
  var $handoff = document.getElementById("handoff-bar");
  var $status = document.getElementById("chat-status");
  var $close = document.getElementById("chat-close");
  var defaultStatus = $status ? $status.textContent : "";
  var embedded = document.body.classList.contains("embedded");
  // embedded with data-remember: the host page keeps the token for us (see embed.js)
  var remember = embedded && /[?&]remember=1(&|$)/.test(window.location.search) && window.parent !== window;

  var state = {
    sender: null,
    token: null,
    cursor: null, // timestamp of the newest message shown
    mark: null, // the front's turn-log mark for cheap polls
    status: "bot",
    busy: false,
    gen: 0, // bumped by every send: a poll started before it is stale
    pending: [], // messages shown from a POST answer, to skip when the tracker returns them
    lastTs: 0,
    timer: null,
    failures: 0,
    typing: null
  };

  // ------------------------------------------------------------------ small DOM helpers (text only)
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function scrollDown() {
    $messages.scrollTop = $messages.scrollHeight;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function timeLabel(ts) {
    var d = new Date(ts * 1000);
    var now = new Date();
    var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (d.toDateString() === now.toDateString()) return hm;
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + hm;
  }

  function maybeTime(ts) {
    if (!ts) ts = Date.now() / 1000;
    if (!state.lastTs || ts - state.lastTs > TIME_GAP) $messages.appendChild(el("div", "time", timeLabel(ts)));
    state.lastTs = Math.max(state.lastTs, ts);
  }

  function norm(text) {
    return String(text || "").replace(/\s+/g, " ").trim();
  }

  // ------------------------------------------------------------------ rendering
  function addSys(text, isError) {
    var row = el("div", "sys" + (isError ? " error" : ""));
    row.setAttribute("role", isError ? "alert" : "status");
    row.appendChild(el("span", null, text));
    $messages.appendChild(row);
    scrollDown();
    return row;
  }

  function row(role, label) {
    var r = el("div", "msg " + role);
    var avatar = el("div", "avatar", role === "user" ? "我" : role === "agent" ? "客服" : "合");
    avatar.setAttribute("aria-hidden", "true");
    var body = el("div", "body");
    if (label) body.appendChild(el("div", "who", label));
    r.appendChild(avatar);
    r.appendChild(body);
    return { row: r, body: body };
  }

  function addUser(text, ts) {
    maybeTime(ts);
    var r = row("user");
    r.body.appendChild(el("div", "bubble", text));
    $messages.appendChild(r.row);
    scrollDown();
    return r;
  }

  function citationNode(c) {
    var box = el("div", "citation");
    var ref = el("div", "citation-ref", "《" + (c.law || "") + "》" + (c.article || ""));
    if (c.version) ref.appendChild(el("span", "citation-version", "（" + c.version + "版）"));
    box.appendChild(ref);
    if (c.quote) box.appendChild(el("blockquote", "citation-quote", c.quote));
    return box;
  }

  function addBot(msg) {
    var custom = (msg && typeof msg.custom === "object" && msg.custom) || {};
    var data = (typeof custom.data === "object" && custom.data) || {};
    var text = typeof msg.text === "string" ? msg.text : "";
    if (msg.source === "system" || (data.system && custom.topic === "handoff")) {
      maybeTime(msg.timestamp);
      return addSys(text);
    }
    maybeTime(msg.timestamp);
    var agent = msg.role === "agent";
    var r = row(agent ? "agent" : "bot", agent ? "人工客服" + (msg.agent ? " · " + msg.agent : "") : null);
    var bubble = el("div", "bubble");
    var title = typeof custom.title === "string" ? custom.title : "";
    var head = "【" + title + "】";
    if (title && text.indexOf(head) === 0) {
      bubble.appendChild(el("div", "card-title", title));
      text = text.slice(head.length).replace(/^\n/, "");
    }
    bubble.appendChild(el("div", "card-text", text));
    var citations = Array.isArray(custom.citations) ? custom.citations : [];
    if (citations.length) {
      var details = el("details", "basis");
      details.appendChild(el("summary", null, "法律依据原文（" + citations.length + "条）"));
      citations.forEach(function (c) {
        if (c && typeof c === "object") details.appendChild(citationNode(c));
      });
      bubble.appendChild(details);
    }
    r.body.appendChild(bubble);
    $messages.appendChild(r.row);
    scrollDown();
    return r;
  }

  function addMessage(msg) {
    if (msg.role === "user") return addUser(msg.text, msg.timestamp);
    return addBot(msg);
  }

  function setChips(buttons) {
    clear($chips);
    (buttons || []).forEach(function (b) {
      if (!b || typeof b.title !== "string" || typeof b.payload !== "string") return;
      var chip = el("button", "chip", b.title);
      chip.type = "button";
      chip.title = b.title;
      chip.addEventListener("click", function () {
        send(b.payload, b.title);
      });
      $chips.appendChild(chip);
    });
  }

  function showTyping() {
    hideTyping();
    var r = row("bot");
    r.row.classList.add("typing");
    r.row.setAttribute("aria-label", "合规通正在输入");
    var bubble = el("div", "bubble");
    for (var i = 0; i < 3; i++) bubble.appendChild(el("span", "dot"));
    r.body.appendChild(bubble);
    $messages.appendChild(r.row);
    state.typing = r.row;
    scrollDown();
  }

  function hideTyping() {
    if (state.typing && state.typing.parentNode) state.typing.parentNode.removeChild(state.typing);
    state.typing = null;
  }

  function setStatus(status) {
    state.status = status || "bot";
    var text = STATUS_TEXT[state.status];
    if (text) {
      $handoff.textContent = text;
      $handoff.hidden = false;
    } else {
      $handoff.hidden = true;
      $handoff.textContent = "";
    }
    if ($status) $status.textContent = state.status === "taken" ? "人工客服服务中" : defaultStatus;
  }

  function welcome() {
    addBot({
      role: "bot",
      text: "您好！我是合规通，为个体户和中小企业提供经营合规与涉诉事务指引。请直接描述您的问题，或点下面的常见问题。\n（指引仅供参考，不构成法律意见。）"
    });
    setChips(SUGGESTIONS.map(function (s) { return { title: s, payload: s }; }));
  }

  // ------------------------------------------------------------------ network
  function request(method, url, body) {
    var headers = { Accept: "application/json" };
    if (state.token) headers["X-Widget-Token"] = state.token;
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      return resp.json().then(
        function (data) { return { status: resp.status, ok: resp.ok, data: data, resp: resp }; },
        function () { return { status: resp.status, ok: false, data: null, resp: resp }; }
      );
    });
  }

  function loadToken() {
    try { return window.localStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  function saveToken(token) {
    try { window.localStorage.setItem(TOKEN_KEY, token); } catch (e) { /* storage blocked: cookie or host */ }
    if (remember) window.parent.postMessage({ type: "hegui:token", token: token }, "*");
  }

  function hashToken() {
    var m = /^#t=([A-Za-z0-9_.\-%]+)$/.exec(window.location.hash);
    if (!m) return null;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    try { return decodeURIComponent(m[1]); } catch (e) { return null; }
  }

  function errorText(res) {
    if (!res) return "网络连接失败，请检查网络后重试。";
    if (res.status === 429) {
      var wait = (res.data && res.data.retry_after) || Number(res.resp.headers.get("Retry-After")) || 10;
      return "发送太频繁，请 " + Math.max(1, Math.ceil(wait)) + " 秒后再试。";
    }
    if (res.status >= 500) {
      return (res.data && res.data.error) || "合规通暂时无法连接，请稍后再试；紧急问题可拨打12345政务服务便民热线。";
    }
    return (res.data && res.data.error) || "请求没有成功（" + res.status + "），请稍后再试。";
  }

  function send(text, display) {
    text = String(text || "").trim();
    if (!text || state.busy || !state.sender) return;
    display = display || text;
    state.busy = true;
    state.gen += 1;
    $send.disabled = true;
    setChips([]);
    var mine = addUser(display);
    state.pending.push({ user: true, text: norm(display) });
    showTyping();
    request("POST", "/api/messages", { sender: state.sender, message: text, channel: "widget" })
      .then(function (res) {
        hideTyping();
        if (!res.ok || !Array.isArray(res.data)) {
          failed(mine, text, display, errorText(res));
          return;
        }
        var buttons = [];
        res.data.forEach(function (m) {
          if (!m || typeof m !== "object") return;
          m.role = "bot";
          addBot(m);
          state.pending.push({ user: false, text: norm(m.text) });
          buttons = Array.isArray(m.buttons) ? m.buttons : [];
          var c = m.custom || {};
          if (c.topic === "handoff" && state.status === "bot") setStatus("queued");
        });
        setChips(buttons);
      }, function () {
        hideTyping();
        failed(mine, text, display, errorText(null));
      })
      .then(function () {
        state.busy = false;
        $send.disabled = !$input.value.trim();
        schedule(state.status === "bot" ? 1500 : 500);
      });
  }

  function failed(mine, text, display, message) {
    state.pending = state.pending.filter(function (p) { return !(p.user && p.text === norm(display)); });
    mine.row.classList.add("failed");
    var note = addSys(message, true);
    var retry = el("button", "retry", "发送失败，点此重发");
    retry.type = "button";
    retry.addEventListener("click", function () {
      if (state.busy) return;
      if (mine.row.parentNode) mine.row.parentNode.removeChild(mine.row);
      if (note.parentNode) note.parentNode.removeChild(note);
      send(text, display);
    });
    mine.body.appendChild(retry);
  }

  function takeNew(messages) {
    messages.forEach(function (m) {
      if (!m || typeof m !== "object") return;
      var user = m.role === "user";
      var t = norm(m.text);
      for (var i = 0; i < state.pending.length; i++) {
        if (state.pending[i].user === user && state.pending[i].text === t) {
          state.pending.splice(i, 1);
          state.lastTs = Math.max(state.lastTs, m.timestamp || 0);
          return; // already on screen from the POST answer
        }
      }
      addMessage(m);
      if (!user) setChips(m.buttons);
    });
  }

  function historyUrl() {
    if (state.cursor === null) return "/api/history";
    var q = "?since=" + encodeURIComponent(String(state.cursor));
    if (state.mark !== null) q += "&mark=" + encodeURIComponent(String(state.mark));
    return "/api/history" + q;
  }

  function poll() {
    state.timer = null;
    if (state.busy || document.hidden || !state.sender) { schedule(); return; }
    var gen = state.gen;
    request("GET", historyUrl()).then(function (res) {
      if (gen !== state.gen || state.busy) return; // a message was sent meanwhile: its answer is on screen
      if (res.status === 401) { start(); return; }
      if (!res.ok || !res.data) { offline(); return; }
      online();
      var d = res.data;
      takeNew(Array.isArray(d.messages) ? d.messages : []);
      if (d.paused !== null && d.paused !== undefined) state.pending = []; // the tracker was read: all seen
      if (typeof d.last_timestamp === "number") state.cursor = d.last_timestamp;
      if (typeof d.mark === "number") state.mark = d.mark;
      setStatus(d.status);
    }, offline).then(function () { schedule(); });
  }

  function offline() {
    state.failures += 1;
    if (state.failures >= 3 && $status) $status.textContent = "网络连接中断，正在重试…";
  }

  function online() {
    if (state.failures >= 3 && $status) $status.textContent = state.status === "taken" ? "人工客服服务中" : defaultStatus;
    state.failures = 0;
  }

  function schedule(delay) {
    if (state.timer) clearTimeout(state.timer);
    if (delay === undefined) delay = state.status === "bot" ? POLL_SLOW : POLL_FAST;
    if (state.failures >= 3) delay = Math.max(delay, POLL_SLOW);
    state.timer = setTimeout(poll, delay);
  }

  function start() {
    state.token = state.token || loadToken() || hashToken();
    return request("GET", "/api/session").then(function (res) {
      if (!res.ok || !res.data || !res.data.sender_id) throw res;
      state.sender = res.data.sender_id;
      state.token = res.data.token;
      saveToken(state.token);
      return request("GET", "/api/history");
    }).then(function (res) {
      if (!res.ok || !res.data) throw res;
      var d = res.data;
      clear($messages);
      state.lastTs = 0;
      state.pending = [];
      var messages = Array.isArray(d.messages) ? d.messages : [];
      if (d.truncated) addSys("仅显示最近的对话");
      messages.forEach(addMessage);
      var last = messages[messages.length - 1];
      if (!messages.length) welcome();
      else setChips(last.role !== "user" ? last.buttons : []);
      state.cursor = typeof d.last_timestamp === "number" ? d.last_timestamp : 0;
      state.mark = typeof d.mark === "number" ? d.mark : null;
      setStatus(d.status);
      $input.disabled = false;
      schedule();
    }).catch(function (res) {
      var retry = addSys(errorText(res && res.status ? res : null) + " 点此重试。", true);
      retry.style.cursor = "pointer";
      retry.addEventListener("click", function () {
        if (retry.parentNode) retry.parentNode.removeChild(retry);
        start();
      });
    });
  }

  // ------------------------------------------------------------------ input
  function autosize() {
    $input.style.height = "auto";
    $input.style.height = Math.min($input.scrollHeight, 120) + "px";
    $send.disabled = state.busy || !$input.value.trim();
  }

  $form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $input.value.trim();
    if (!text || state.busy || !state.sender) return; // keep what was typed until it can be sent
    $input.value = "";
    autosize();
    send(text);
  });
  $input.addEventListener("input", autosize);
  $input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (typeof $form.requestSubmit === "function") $form.requestSubmit();
      else $form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.sender) schedule(0);
  });
  if ($close) {
    $close.addEventListener("click", function () {
      if (window.parent !== window) window.parent.postMessage({ type: "hegui:close" }, "*");
    });
  }
  if (window.history && window.location.search.indexOf("t=") !== -1) {
    // an invalid link's token has no use on screen
    window.history.replaceState(null, "", window.location.pathname + (embedded ? "?embed=1" : ""));
  }

  start();
})();
