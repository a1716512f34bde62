/*
 * 合规通 H5 widget: the conversation, the network, scrolling, focus and what a screen reader hears.
 *
 * Talks to the front only: GET /api/session (sender id + token), POST /api/session/new ("新对话"), GET /api/history
 * (the conversation from the tracker; ?since=&mark= to poll; it also says whether an agent is typing, whether anyone
 * is on duty, whether a rating is due), POST /api/messages {sender, message, channel: "widget"}. A message's row
 * (who, bubble, quick replies, tools) is built by widget-messages.js, its content by widget-render.js, the rating
 * and leave-a-message forms by widget-forms.js.
 *
 * - Quick replies stay under the message they belong to and wrap; they keep working later, except the answers to a
 *   form's question once it has been answered (shown as chosen). "看法条原文" opens that answer's own 法律依据.
 * - A new answer is shown from its start when it is taller than the view, else everything down to its buttons;
 *   messages arriving while the user reads further up bring a "有新消息" button instead of a jump.
 * - Screen readers: each message starts with a (hidden) heading "合规通说" / "我说" / "人工客服王芳说"; the typing
 *   state and each new message are announced once through one polite live region — not the whole list.
 * - Embedded (embed.js): Esc closes the panel, focus comes in on open, new messages while closed raise a badge.
 *
 * Safety rule of this file: text from the bot, an agent or the user is only ever put into the page with
 * textContent / createElement — never as markup. Button payloads are sent, never displayed.
 */
(function () {
  "use strict";

  var R = window.HeguiRender;
  var F = window.HeguiForms;
  var el = R.el;
  var clear = R.clear;
  var sentence = R.sentence;

  var TOKEN_KEY = "hegui.widget.token";
  var POLL_FAST = 3000; // while waiting for or talking to a human
  var POLL_SLOW = 15000; // otherwise: messages delivered by the registration system, agents taking over
  var SUGGESTIONS = ["卖过期食品会被罚多少钱", "第一次被查能不罚吗", "打官司要交多少诉讼费", "信用修复怎么办", "转人工"];

  var $messages = document.getElementById("messages"); // the scrolling area
  var $log = document.getElementById("log");
  var $form = document.getElementById("composer");
  var $input = document.getElementById("input");
  var $send = document.getElementById("send");
  var $handoff = document.getElementById("handoff-bar");
  var $status = document.getElementById("chat-status");
  var $close = document.getElementById("chat-close");
  var $live = document.getElementById("live");
  var $jump = document.getElementById("jump");
  var $new = document.getElementById("chat-new");
  var $confirm = document.getElementById("new-confirm");
  var defaultStatus = $status ? $status.textContent : "";
  var defaultTitle = document.title;
  var embedded = document.body.classList.contains("embedded");
  var framed = embedded && window.parent !== window;
  // embedded with data-remember: the host page keeps the token for us (see embed.js)
  var remember = framed && /[?&]remember=1(&|$)/.test(window.location.search);

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
    typing: null, // the typing row
    typingBy: "", // "" (the assistant) or the agent's name
    entries: [], // every message on screen: {role, row, bubble, text, buttons, replies, basis, title, top}
    agent: "", // the name of the agent who wrote last
    jumpTo: null, // the first message the user has not scrolled to yet
    unseen: 0, // messages that arrived while the tab was hidden
    rating: null, // the rating form on screen
    leave: null, // the leave-a-message form on screen
    leftShown: false
  };

  // ------------------------------------------------------------------ small helpers
  function norm(text) {
    return String(text || "").replace(/\s+/g, " ").trim();
  }

  function announce(text) {
    // emptied first, so that the same words twice are still read twice
    $live.textContent = "";
    setTimeout(function () { $live.textContent = text; }, 60);
  }

  function toParent(message) {
    if (framed) window.parent.postMessage(message, "*"); // nothing of the conversation: only what happened
  }

  // ------------------------------------------------------------------ scrolling
  function nearBottom() {
    return $messages.scrollHeight - $messages.scrollTop - $messages.clientHeight < 48;
  }

  function scrollDown() {
    $messages.scrollTop = $messages.scrollHeight;
  }

  /* show a new message: from its start when what follows it is taller than the view, else down to the end */
  function reveal(node) {
    if (!node) return scrollDown();
    var top = Math.max(0, node.offsetTop - 8);
    if ($messages.scrollHeight - top > $messages.clientHeight) $messages.scrollTop = top;
    else scrollDown();
    hideJump();
  }

  function showJump(node) {
    if (!state.jumpTo) state.jumpTo = node;
    $jump.hidden = false;
  }

  function hideJump() {
    state.jumpTo = null;
    $jump.hidden = true;
  }

  $jump.addEventListener("click", function () {
    var target = state.jumpTo;
    reveal(target);
    var heading = target && target.querySelector("h2");
    if (heading) heading.focus({ preventScroll: true });
  });

  $messages.addEventListener("scroll", function () {
    state.pinned = nearBottom();
    if (state.jumpTo && state.jumpTo.offsetTop < $messages.scrollTop + $messages.clientHeight - 40) hideJump();
  }, { passive: true });

  // the view shrinks (keyboard opening, textarea growing): keep the newest lines in sight if they were
  if (window.ResizeObserver) {
    new ResizeObserver(function () { if (state.pinned) scrollDown(); }).observe($messages);
  }

  // ------------------------------------------------------------------ messages (widget-messages.js)
  var M = window.HeguiMessages({ state: state, log: $log, scroller: $messages, announce: announce,
    nearBottom: nearBottom, scrollDown: scrollDown, send: function (text, display, opts) { send(text, display, opts); } });
  var addSys = M.addSys;
  var addUser = M.addUser;
  var addBot = M.addBot;
  var addMessage = M.addMessage;
  var markAnswered = M.markAnswered;
  var showTyping = M.showTyping;
  var hideTyping = M.hideTyping;

  /* after a keyboard tap, focus goes where the conversation continues: the new answer's first reply, or the input */
  function focusAfter(entries) {
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].replies) {
        entries[i].replies.querySelector("button").focus({ preventScroll: true });
        return;
      }
    }
    $input.focus({ preventScroll: true });
  }

  function newArrivals(entries, fromPoll) {
    var shown = entries.filter(function (e) { return e && e.role !== "user"; });
    if (!shown.length) return;
    announce(shown.map(function (e) { return e.summary; }).reduce(sentence));
    if (fromPoll) {
      toParent({ type: "hegui:message", count: shown.length });
      if (document.hidden) {
        state.unseen += shown.length;
        document.title = "（" + state.unseen + "条新消息）" + defaultTitle;
      }
    }
  }

  // ------------------------------------------------------------------ status, forms
  function statusText() {
    if (state.status === "taken") return "人工客服" + (state.agent ? " " + state.agent + " " : "") + "正在为您服务";
    if (state.status === "queued" && state.onDuty === false) return "现在没有工作人员在线，您可以留言，工作人员上班后回电";
    if (state.status === "queued") return "已为您转接人工客服，请稍候，工作人员会在这里回复您";
    return "";
  }

  function lastQuestion() {
    for (var i = state.entries.length - 1; i >= 0; i--) {
      var e = state.entries[i];
      if (e.role === "user" && !/^(转人工|人工|找人工)/.test(e.text) && e.text.indexOf("已选择") === -1) return e.text;
    }
    return "";
  }

  function formRow(form) {
    var r = el("div", "form-row");
    r.appendChild(form);
    var stick = nearBottom();
    $log.appendChild(r);
    if (stick) reveal(r);
    return r;
  }

  var formApi = {
    request: function (method, url, body) { return request(method, url, body); },
    done: function (form, text) {
      var r = form.parentNode;
      var focused = form.contains(document.activeElement);
      var note = el("div", "sys");
      note.appendChild(el("span", null, text));
      if (r && r.parentNode) r.parentNode.replaceChild(note, r);
      else $log.appendChild(note);
      announce(text);
      if (focused) $input.focus({ preventScroll: true });
      if (form === (state.rating && state.rating.form)) state.rating.sent = true;
      if (form === (state.leave && state.leave.form)) state.leave.sent = true;
    }
  };

  function untouched(f) {
    return f && !f.sent && !f.form.contains(document.activeElement);
  }

  function removeForm(key) {
    var f = state[key];
    if (f && f.row.parentNode) f.row.parentNode.removeChild(f.row);
    state[key] = null;
  }

  function applyFacts(d) {
    state.onDuty = d.on_duty === undefined ? state.onDuty : d.on_duty;
    // an agent writing a reply
    if (state.status === "taken" && d.agent_typing) showTyping(String(d.agent_typing));
    else if (state.typingBy) hideTyping();
    // a rating after the human session
    if (d.rating_due === true && state.status === "bot" && !state.rating) {
      var rf = F.rating(formApi);
      state.rating = { form: rf, row: formRow(rf) };
      announce("人工服务已结束，请为本次服务评价");
    } else if (d.rating_due === false && untouched(state.rating)) {
      removeForm("rating");
    }
    // nobody on duty while waiting for a human: leave a message
    if (d.left_message && !state.leftShown && !(state.leave && state.leave.sent)) {
      state.leftShown = true;
      if (untouched(state.leave)) removeForm("leave");
      addSys("您已留言（" + d.left_message.phone + "），工作人员上班后会联系您。");
    } else if (state.status === "queued" && state.onDuty === false && !d.left_message && !state.leave) {
      var lf = F.leaveMessage(formApi, lastQuestion());
      state.leave = { form: lf, row: formRow(lf) };
      announce("现在没有工作人员在线，可以留下电话和问题");
    } else if ((state.status !== "queued" || state.onDuty) && untouched(state.leave)) {
      removeForm("leave");
    }
  }

  function setStatus(status) {
    state.status = status || "bot";
    var text = statusText();
    $handoff.textContent = text;
    $handoff.hidden = !text;
    if ($status && state.failures < 3) $status.textContent = state.status === "taken" ? "人工客服服务中" : defaultStatus;
  }

  function welcome() {
    var entry = addBot({
      role: "bot",
      text: "您好！我是合规通，为个体户和中小企业提供经营合规与涉诉事务指引。请直接描述您的问题，或点下面的常见问题。\n（指引仅供参考，不构成法律意见。）",
      buttons: SUGGESTIONS.map(function (s) { return { title: s, payload: s }; })
    });
    reveal(entry.row);
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

  function send(text, display, opts) {
    text = String(text || "").trim();
    if (!text || state.busy || !state.sender) return;
    display = display || text;
    opts = opts || {};
    state.busy = true;
    state.gen += 1;
    $send.disabled = true;
    markAnswered(display);
    var mine = addUser(display);
    state.pending.push({ user: true, text: norm(display) });
    showTyping("");
    scrollDown();
    state.pinned = true;
    request("POST", "/api/messages", { sender: state.sender, message: text, channel: "widget" })
      .then(function (res) {
        hideTyping();
        if (!res.ok || !Array.isArray(res.data)) {
          failed(mine, text, display, errorText(res));
          return;
        }
        var added = [];
        res.data.forEach(function (m) {
          if (!m || typeof m !== "object") return;
          m.role = "bot";
          added.push(addBot(m));
          state.pending.push({ user: false, text: norm(m.text) });
          var c = m.custom || {};
          if (c.topic === "handoff" && state.status === "bot") setStatus("queued");
        });
        reveal(added.length ? added[0].row : null);
        newArrivals(added, false);
        if (opts.keyboard) focusAfter(added);
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
      state.entries = state.entries.filter(function (e) { return e !== mine; });
      send(text, display);
    });
    mine.body.appendChild(retry);
    scrollDown();
  }

  function takeNew(messages) {
    var added = [];
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
      if (m.role === "agent") hideTyping();
      added.push(addMessage(m));
    });
    return added;
  }

  function historyUrl() {
    if (state.cursor === null) return "/api/history";
    var q = "?since=" + encodeURIComponent(String(state.cursor));
    if (state.mark !== null) q += "&mark=" + encodeURIComponent(String(state.mark));
    return "/api/history" + q;
  }

  function poll() {
    state.timer = null;
    if (state.busy || !state.sender) { schedule(); return; }
    var gen = state.gen;
    request("GET", historyUrl()).then(function (res) {
      if (gen !== state.gen || state.busy) return; // a message was sent meanwhile: its answer is on screen
      if (res.status === 401) { start(); return; }
      if (!res.ok || !res.data) { offline(); return; }
      online();
      var d = res.data;
      var stick = nearBottom();
      var added = takeNew(Array.isArray(d.messages) ? d.messages : []);
      if (d.paused !== null && d.paused !== undefined) state.pending = []; // the tracker was read: all seen
      if (typeof d.last_timestamp === "number") state.cursor = d.last_timestamp;
      if (typeof d.mark === "number") state.mark = d.mark;
      setStatus(d.status);
      applyFacts(d);
      var first = added.filter(function (e) { return e; })[0];
      if (first) {
        if (stick) reveal(first.row);
        else showJump(first.row);
        newArrivals(added, true);
      }
    }, offline).then(function () { schedule(); });
  }

  function offline() {
    state.failures += 1;
    if (state.failures >= 3 && $status) $status.textContent = "网络连接中断，正在重试…";
  }

  function online() {
    var was = state.failures >= 3;
    state.failures = 0;
    if (was) setStatus(state.status);
  }

  function schedule(delay) {
    if (state.timer) clearTimeout(state.timer);
    if (delay === undefined) delay = state.status === "bot" ? POLL_SLOW : POLL_FAST;
    if (document.hidden && !framed) delay = Math.max(delay, POLL_SLOW); // a background tab: slower, not never
    if (state.failures >= 3) delay = Math.max(delay, POLL_SLOW);
    state.timer = setTimeout(poll, delay);
  }

  function resetView() {
    clear($log);
    hideTyping();
    hideJump();
    state.lastTs = 0;
    state.pending = [];
    state.entries = [];
    state.rating = null;
    state.leave = null;
    state.leftShown = false;
    state.agent = "";
  }

  function render(d) {
    resetView();
    var messages = Array.isArray(d.messages) ? d.messages : [];
    if (d.truncated) addSys("仅显示最近的对话");
    messages.forEach(function (m) { if (m && typeof m === "object") addMessage(m); });
    state.cursor = typeof d.last_timestamp === "number" ? d.last_timestamp : 0;
    state.mark = typeof d.mark === "number" ? d.mark : null;
    setStatus(d.status);
    if (!messages.length) welcome();
    else reveal(state.entries.length ? state.entries[state.entries.length - 1].row : null);
    applyFacts(d);
    state.pinned = nearBottom();
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
      render(res.data);
      $input.disabled = false;
      toParent({ type: "hegui:ready" });
      schedule();
    }).catch(function (res) {
      var note = addSys(errorText(res && res.status ? res : null), true);
      var retry = el("button", "retry inline", "点此重试");
      retry.type = "button";
      retry.addEventListener("click", function () {
        if (note.parentNode) note.parentNode.removeChild(note);
        start();
      });
      note.appendChild(retry);
    });
  }

  // ------------------------------------------------------------------ new conversation
  function closeConfirm(focusBack) {
    $confirm.hidden = true;
    if (focusBack) $new.focus();
  }

  if ($new) {
    var confirmText = document.getElementById("new-confirm-text");
    $new.addEventListener("click", function () {
      confirmText.textContent = state.status === "bot"
        ? "开始新对话？当前对话将不再显示在这里（记录仍会保留）。"
        : "您正在等待或联系人工客服。开始新对话后，这里将看不到客服对当前对话的回复。确定开始新对话吗？";
      $confirm.hidden = false;
      document.getElementById("new-yes").focus();
    });
    document.getElementById("new-no").addEventListener("click", function () { closeConfirm(true); });
    document.getElementById("new-yes").addEventListener("click", function () {
      if (state.busy) return;
      closeConfirm(false);
      state.gen += 1;
      request("POST", "/api/session/new", {}).then(function (res) {
        if (!res.ok || !res.data || !res.data.sender_id) throw res;
        state.sender = res.data.sender_id;
        state.token = res.data.token;
        saveToken(state.token);
        render({ messages: [], status: "bot", last_timestamp: 0, mark: 0 });
        announce("已开始新对话");
        $input.focus({ preventScroll: true });
        schedule();
      }).catch(function (res) {
        addSys(errorText(res && res.status ? res : null), true);
        scrollDown();
      });
    });
  }

  // ------------------------------------------------------------------ input
  function autosize() {
    $input.style.height = "auto";
    $input.style.height = Math.min(Math.max($input.scrollHeight, 40), 120) + "px";
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
    if (document.hidden || !state.sender) return;
    state.unseen = 0;
    document.title = defaultTitle;
    schedule(0);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || e.isComposing) return;
    if ($confirm && !$confirm.hidden) {
      closeConfirm(true);
      return;
    }
    if (framed) toParent({ type: "hegui:close" }); // embed.js closes the panel and takes focus back
  });
  if ($close) {
    $close.addEventListener("click", function () { toParent({ type: "hegui:close" }); });
  }
  // embed.js opened the panel: focus comes into it (the input, except on touch screens where that would raise
  // the keyboard over the conversation: there the conversation itself)
  window.addEventListener("message", function (e) {
    if (!framed || e.source !== window.parent || !e.data || e.data.type !== "hegui:open") return;
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (touch || $input.disabled) $messages.focus({ preventScroll: true });
    else $input.focus({ preventScroll: true });
  });
  if (window.history && window.location.search.indexOf("t=") !== -1) {
    // an invalid link's token has no use on screen
    window.history.replaceState(null, "", window.location.pathname + (embedded ? "?embed=1" : ""));
  }

  autosize();
  start();
})();
