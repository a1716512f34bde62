/*
 * 合规通 H5 widget — the rows of the conversation (window.HeguiMessages(ctx); widget.js owns the state and talks to
 * the server): who says it (a hidden heading "合规通说" / "我说" / "人工客服王芳说" a screen reader can jump between),
 * the bubble (widget-render.js), the quick replies under their own message, the 复制 / 回到开头 tools, the typing row.
 *
 * Quick replies keep working after later turns, except the answers to a form's question once it is answered (shown
 * as chosen, aria-disabled so that the focus stays on them); "看法条原文" opens that answer's own 法律依据.
 *
 * ctx = {state, log, scroller, announce(text), nearBottom(), scrollDown(), send(text, display, opts)}.
 * Safety rule: text is only ever put into the page with textContent / createElement; payloads are sent, never shown.
 */
(function () {
  "use strict";

  var R = window.HeguiRender;
  var el = R.el;
  var sentence = R.sentence;
  var TIME_GAP = 5 * 60; // seconds between messages that earn a time label
  // answers to the question they were asked with: once answered, tapping them later would answer nothing
  var CONTEXT_INTENTS = /^\/(inform|dont_know|affirm|deny|stop)\b/;
  var WHY = /^\/ask_why$/;

  window.HeguiMessages = function (ctx) {
    var state = ctx.state;
    var $log = ctx.log;
    var $messages = ctx.scroller;
    var announce = ctx.announce;
    var nearBottom = ctx.nearBottom;
    var scrollDown = ctx.scrollDown;
    var send = ctx.send;

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
      if (!state.lastTs || ts - state.lastTs > TIME_GAP) $log.appendChild(el("div", "time", timeLabel(ts)));
      state.lastTs = Math.max(state.lastTs, ts);
    }

    function addSys(text, isError) {
      var r = el("div", "sys" + (isError ? " error" : ""));
      if (isError) r.setAttribute("role", "alert");
      r.appendChild(el("span", null, text));
      $log.appendChild(r);
      return r;
    }

    function row(role, speaker, who) {
      var r = el("div", "msg " + role);
      var avatar = el("div", "avatar", role === "user" ? "我" : role === "agent" ? "客服" : "合");
      avatar.setAttribute("aria-hidden", "true"); // the heading below says who is speaking
      var body = el("div", "body");
      var heading = el("h2", "visually-hidden", speaker);
      heading.tabIndex = -1;
      body.appendChild(heading);
      if (who) {
        var w = el("div", "who", who);
        w.setAttribute("aria-hidden", "true");
        body.appendChild(w);
      }
      r.appendChild(avatar);
      r.appendChild(body);
      return { row: r, body: body };
    }

    function addUser(text, ts) {
      maybeTime(ts);
      var r = row("user", "我说");
      r.body.appendChild(el("div", "bubble", text));
      $log.appendChild(r.row);
      var entry = { role: "user", row: r.row, body: r.body, text: text };
      state.entries.push(entry);
      return entry;
    }

    function copyText(entry, button) {
      var done = function () {
        button.textContent = "已复制";
        announce("已复制这条回答");
        setTimeout(function () { button.textContent = "复制"; }, 1500);
      };
      var fallback = function () {
        var area = el("textarea");
        area.value = entry.text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        document.body.removeChild(area);
        if (ok) done();
        else announce("复制没有成功，请长按文字手动复制");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(entry.text).then(done, fallback);
      else fallback();
    }

    function tools(entry) {
      var bar = el("div", "tools");
      var copy = bar.appendChild(el("button", "tool", "复制"));
      copy.type = "button";
      copy.setAttribute("aria-label", "复制这条回答");
      copy.addEventListener("click", function () { copyText(entry, copy); });
      var top = bar.appendChild(el("button", "tool", "回到开头"));
      top.type = "button";
      top.hidden = true;
      top.setAttribute("aria-label", "回到开头（本条回答）");
      top.addEventListener("click", function () {
        $messages.scrollTop = Math.max(0, entry.row.offsetTop - 8);
        (entry.title || entry.row.querySelector("h2")).focus({ preventScroll: true });
      });
      entry.top = top;
      entry.body.appendChild(bar);
    }

    /* "回到开头" only where an answer is taller than most of the view (measured again when a section opens) */
    function measure(entry) {
      if (entry.top) entry.top.hidden = entry.bubble.offsetHeight < $messages.clientHeight * 0.8;
    }

    $log.addEventListener("toggle", function (e) {
      var rowNode = e.target.closest && e.target.closest(".msg");
      state.entries.forEach(function (entry) { if (entry.row === rowNode) measure(entry); });
    }, true);

    function openBasis(entry) {
      entry.basis.open = true;
      measure(entry);
      var summary = entry.basis.querySelector("summary");
      entry.basis.scrollIntoView({ block: "nearest" });
      summary.focus({ preventScroll: true });
      announce("已展开这条回答的法律依据原文");
    }

    function tap(entry, b, button, event) {
      if (button.getAttribute("aria-disabled") === "true") return;
      if (WHY.test(b.payload) && entry.basis) {
        openBasis(entry); // the quotes of this very answer, not of whatever was answered last
        return;
      }
      if (state.busy) {
        announce("请等上一条回答完成后再选");
        return;
      }
      send(b.payload, b.title, { keyboard: event && event.detail === 0 });
    }

    function attachReplies(entry, buttons) {
      var valid = (buttons || []).filter(function (b) {
        return b && typeof b.title === "string" && typeof b.payload === "string";
      });
      if (!valid.length) return;
      var group = el("div", "replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "快捷回复");
      valid.forEach(function (b) {
        var chip = el("button", "chip", b.title);
        chip.type = "button";
        chip.addEventListener("click", function (event) { tap(entry, b, chip, event); });
        group.appendChild(chip);
      });
      entry.buttons = valid;
      entry.replies = group;
      entry.asks = valid.some(function (b) { return CONTEXT_INTENTS.test(b.payload); });
      entry.bubble.parentNode.insertBefore(group, entry.bubble.nextSibling);
    }

    /* the question's own answers, once it is answered: the chosen one marked, the rest no longer offered */
    function markAnswered(chosen) {
      for (var i = state.entries.length - 1; i >= 0; i--) {
        var e = state.entries[i];
        if (e.role === "user") continue;
        if (!e.asks || e.answered) return;
        e.answered = true;
        Array.prototype.forEach.call(e.replies.querySelectorAll("button"), function (b) {
          if (!CONTEXT_INTENTS.test(e.buttons[Array.prototype.indexOf.call(e.replies.children, b)].payload)) return;
          b.setAttribute("aria-disabled", "true");
          if (b.textContent === chosen) {
            b.classList.add("chosen");
            b.setAttribute("aria-label", b.textContent + "（已选）");
          }
        });
        return;
      }
    }

    function isSystem(msg, custom) {
      var data = (typeof custom.data === "object" && custom.data) || {};
      return msg.source === "system" || (data.system && custom.topic === "handoff");
    }

    function addBot(msg) {
      var custom = (msg && typeof msg.custom === "object" && msg.custom) || {};
      var text = typeof msg.text === "string" ? msg.text : "";
      maybeTime(msg.timestamp);
      if (isSystem(msg, custom)) {
        var sys = addSys(text);
        var notice = { role: "system", row: sys, bubble: sys.firstChild, summary: text };
        attachReplies(notice, msg.buttons); // e.g. the queue notice's 取消转人工
        return notice;
      }
      var agent = msg.role === "agent";
      if (agent && msg.agent) state.agent = String(msg.agent);
      var speaker = agent ? "人工客服" + (msg.agent ? msg.agent : "") + "说" : "合规通说";
      var r = row(agent ? "agent" : "bot", speaker, agent ? "人工客服" + (msg.agent ? " · " + msg.agent : "") : null);
      var bubble = el("div", "bubble");
      r.body.appendChild(bubble);
      var drawn = R.fill(bubble, text, custom);
      var entry = { role: agent ? "agent" : "bot", row: r.row, body: r.body, bubble: bubble, text: text,
                    basis: drawn.basis, title: drawn.title, summary: speaker + "：" + drawn.summary };
      attachReplies(entry, msg.buttons);
      if (entry.buttons) entry.summary = sentence(entry.summary, "有" + entry.buttons.length + "个快捷回复");
      if (text) tools(entry);
      $log.appendChild(r.row);
      state.entries.push(entry);
      measure(entry);
      return entry;
    }

    function addMessage(msg) {
      if (msg.role === "user") {
        markAnswered(msg.text);
        return addUser(msg.text, msg.timestamp);
      }
      return addBot(msg);
    }

    function showTyping(name) {
      if (state.typing && state.typingBy === (name || "")) return;
      hideTyping();
      var r = row(name ? "agent" : "bot", "", null);
      r.row.classList.add("typing");
      r.row.setAttribute("aria-hidden", "true"); // announced in words below, once
      var bubble = el("div", "bubble");
      if (name) bubble.appendChild(el("span", "typing-name", name + "正在输入"));
      for (var i = 0; i < 3; i++) bubble.appendChild(el("span", "dot"));
      r.body.appendChild(bubble);
      var stick = nearBottom();
      $log.appendChild(r.row);
      if (stick) scrollDown();
      state.typing = r.row;
      state.typingBy = name || "";
      announce((name ? "人工客服" + name : "合规通") + "正在输入…");
    }

    function hideTyping() {
      if (state.typing && state.typing.parentNode) state.typing.parentNode.removeChild(state.typing);
      state.typing = null;
      state.typingBy = "";
    }

    return { addSys: addSys, addUser: addUser, addBot: addBot, addMessage: addMessage, markAnswered: markAnswered,
             showTyping: showTyping, hideTyping: hideTyping };
  };
})();
