/*
 * 合规通 staff console: queue and messages badges, the on-duty heartbeat, live conversation refresh (with the
 * agent's typing signal and the user's satisfaction ratings), left messages, agent assist.
 * Every POST carries the CSRF token (X-CSRF-Token). Data is put into the page with textContent only.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.getAttribute("content") : "";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function call(method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRF-Token"] = CSRF;
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (resp) {
      if (resp.status === 401) {
        window.location.href = "/staff/login?next=" + encodeURIComponent(window.location.pathname);
        throw new Error("登录已过期");
      }
      return resp.json().then(function (data) {
        if (!resp.ok) throw new Error((data && data.error) || "请求失败（" + resp.status + "）");
        return data;
      }, function () { throw new Error("服务器没有正常响应（" + resp.status + "）"); });
    });
  }

  // ------------------------------------------------------------------ queue badge
  var badge = document.getElementById("queue-badge");
  var countQueued = document.getElementById("count-queued");
  function refreshQueue() {
    if (document.hidden) return;
    call("GET", "/staff/api/queue").then(function (d) {
      var n = Number(d.queued) || 0;
      if (badge) {
        badge.textContent = String(n);
        badge.hidden = n === 0;
      }
      if (countQueued) countQueued.textContent = String(n);
    }, function () { /* offline: keep the last count */ });
  }
  var messagesBadge = document.getElementById("messages-badge");
  function refreshMessages() {
    if (document.hidden || !messagesBadge) return;
    call("GET", "/staff/api/messages-left/summary").then(function (d) {
      var n = Number(d.open) || 0;
      messagesBadge.textContent = String(n);
      messagesBadge.hidden = n === 0;
      messagesBadge.setAttribute("aria-label", n + " 条待处理留言");
    }, function () { /* keep the last count */ });
  }
  // on duty while a console page is open, even in a background tab (browsers slow this timer to once a minute
  // there, within the server's two-minute window): users waiting for a human are told nobody is here otherwise
  function heartbeat() {
    call("POST", "/staff/api/presence", {}).then(null, function () { /* the next beat retries */ });
  }
  if (badge) {
    refreshQueue();
    refreshMessages();
    heartbeat();
    setInterval(refreshQueue, 10000);
    setInterval(refreshMessages, 30000);
    setInterval(heartbeat, 30000);
  }

  // ------------------------------------------------------------------ one conversation: refresh when it moves
  var conv = document.getElementById("conversation");
  if (conv) {
    var sender = conv.getAttribute("data-sender");
    var mark = Number(conv.getAttribute("data-mark")) || 0;
    var bar = document.getElementById("newbar");
    var reply = document.getElementById("reply-text");
    var reloadBtn = document.getElementById("reload");
    if (reloadBtn) reloadBtn.addEventListener("click", function () { window.location.reload(); });
    if (!window.location.hash) {
      var end = document.getElementById("end");
      if (end && end.scrollIntoView) end.scrollIntoView({ block: "end" });
    }
    var busy = function () {
      var a = document.activeElement;
      if (reply && reply.value.trim()) return true;
      if (a && (a.tagName === "TEXTAREA" || a.tagName === "INPUT")) return true;
      return !!document.querySelector("details.fb[open]");
    };
    var convApi = "/staff/api/conversations/" + encodeURIComponent(sender);
    // the user sees "王芳正在输入…" while the reply is being written (the server forgets it after a few seconds)
    if (reply) {
      var lastTyping = 0;
      var typing = function (on) {
        var now = Date.now();
        if (on && now - lastTyping < 2500) return;
        lastTyping = on ? now : 0;
        call("POST", convApi + "/typing", { typing: on }).then(null, function () { /* only a hint */ });
      };
      reply.addEventListener("input", function () { if (reply.value.trim()) typing(true); });
      reply.addEventListener("blur", function () { if (lastTyping) typing(false); });
      if (reply.form) {
        reply.form.addEventListener("submit", function () {
          // the page is about to reload: keepalive lets "stopped typing" arrive all the same
          fetch(convApi + "/typing", { method: "POST", keepalive: true, credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": CSRF }, body: JSON.stringify({ typing: false }) })
            .then(null, function () { /* only a hint */ });
        });
      }
    }
    var ratingsBox = document.getElementById("user-ratings");
    if (ratingsBox) {
      call("GET", convApi + "/ratings").then(function (d) {
        clear(ratingsBox);
        (d.ratings || []).forEach(function (r) {
          var li = el("li");
          var cls = r.score === null ? "" : r.score >= 4 ? "live" : r.score <= 2 ? "queued" : "";
          li.appendChild(el("span", "tag " + cls, r.label));
          li.appendChild(document.createTextNode(" " + (r.agent || "") + " · " + new Date(r.created_at).toLocaleString("zh-CN")));
          if (r.comment) li.appendChild(el("div", null, r.comment));
          ratingsBox.appendChild(li);
        });
        if (!ratingsBox.firstChild) ratingsBox.appendChild(el("li", "muted", "用户还没有评价人工服务"));
      }, function () {
        clear(ratingsBox);
        ratingsBox.appendChild(el("li", "muted", "暂时无法读取评价"));
      });
    }
    setInterval(function () {
      if (document.hidden) return;
      call("GET", convApi + "/updates?mark=" + mark)
        .then(function (d) {
          if (!d.changed) return;
          if (busy()) bar.hidden = false;
          else window.location.reload();
        }, function () { /* try again on the next tick */ });
    }, 4000);
  }

  // ------------------------------------------------------------------ left messages: the full number on request
  Array.prototype.forEach.call(document.querySelectorAll("button.reveal"), function (btn) {
    btn.addEventListener("click", function () {
      var id = btn.getAttribute("data-id");
      btn.disabled = true;
      call("POST", "/staff/api/messages-left/" + encodeURIComponent(id) + "/phone", {}).then(function (d) {
        var target = document.getElementById("phone-" + id);
        if (target) target.textContent = d.phone;
        btn.textContent = "已显示（已记录查看）";
      }, function (err) {
        btn.disabled = false;
        btn.textContent = err.message || "显示失败，请重试";
      });
    });
  });

  // ------------------------------------------------------------------ agent assist
  // A question gets the assistant's answer and the knowledge base's hits. When the assistant asks something back
  // (a form question with quick replies), its buttons answer for the caller: they continue the same throwaway
  // conversation (the server checks it is this agent's), as does the "来电人的回答" field for free-text answers.
  var form = document.getElementById("assist-form");
  if (form) {
    var question = document.getElementById("question");
    var submit = document.getElementById("assist-submit");
    var status = document.getElementById("assist-status");
    var results = document.getElementById("assist-results");
    var answersBox = document.getElementById("answers");
    var hitsBox = document.getElementById("hits");
    var copyBtn = document.getElementById("copy-answer");
    var followForm = document.getElementById("assist-follow");
    var followInput = document.getElementById("follow-text");
    var typeLabels = {};
    try { typeLabels = JSON.parse(results.getAttribute("data-types") || "{}"); } catch (e) { typeLabels = {}; }
    var copyText = "";
    var thread = null; // the throwaway sender of the current question
    var busyAssist = false;

    var citationList = function (citations, label) {
      var details = el("details", "basis");
      details.appendChild(el("summary", null, label + "（" + citations.length + " 条）"));
      citations.forEach(function (c) {
        var box = el("div", "citation");
        var ref = el("div", "citation-ref", "《" + (c.law || "") + "》" + (c.article || "") + " ");
        ref.appendChild(el("span", "muted", "（" + (c.version || "") + "版）"));
        box.appendChild(ref);
        box.appendChild(el("blockquote", null, c.quote || ""));
        details.appendChild(box);
      });
      return details;
    };

    var cardText = function (text) {
      var box = el("div", "text");
      text.split("\n").forEach(function (line) {
        if (line.charAt(0) === "\u258d") box.appendChild(el("div", "sec-label", line.slice(1)));
        else box.appendChild(el("div", null, line));
      });
      return box;
    };

    var renderAnswer = function (a) {
      var box = el("div", "answer");
      var text = a.text || "";
      var head = "【" + a.title + "】";
      var asks = !a.title && !(a.citations && a.citations.length) && a.buttons && a.buttons.length;
      if (asks) box.appendChild(el("div", "asks", "智能助手需要先问来电人："));
      if (a.title) box.appendChild(el("h3", "card-title", a.title));
      if (a.title && text.indexOf(head) === 0) text = text.slice(head.length).replace(/^\n/, "");
      box.appendChild(cardText(text));
      if (a.citations && a.citations.length) box.appendChild(citationList(a.citations, "法律依据原文"));
      if (a.buttons && a.buttons.length) {
        box.appendChild(el("div", "muted small", asks ? "来电人回答后，点选对应的一项（代来电人回答）：" : "可以接着问（点选即继续）："));
        var chips = el("div", "chips");
        a.buttons.forEach(function (b) {
          var btn = el("button", "chip-button", b.title);
          btn.type = "button";
          btn.addEventListener("click", function () { follow(b.payload, b.title); });
          chips.appendChild(btn);
        });
        box.appendChild(chips);
      }
      return box;
    };

    var renderHits = function (d) {
      var errors = d.errors || {};
      clear(hitsBox);
      if (errors.kb) hitsBox.appendChild(el("li", "flash warning", errors.kb));
      (d.hits || []).forEach(function (h) {
        var li = el("li");
        li.appendChild(el("b", null, h.title));
        li.appendChild(el("span", "score", (typeLabels[h.type] || "知识条目") + " · 相关度 " + h.score));
        if (h.in_answer) li.appendChild(el("span", "tag live used", "已用于答复"));
        li.appendChild(el("div", "muted small", "编号 " + h.id + (h.matched && h.matched.length ? " · 命中：" + h.matched.join("、") : "")));
        if (h.citations && h.citations.length) li.appendChild(citationList(h.citations, "法律依据"));
        hitsBox.appendChild(li);
      });
      if (!(d.hits || []).length && !errors.kb) hitsBox.appendChild(el("li", "muted", "知识库中没有相关条目"));
    };

    var renderStep = function (d, said) {
      var errors = d.errors || {};
      thread = d.sender || thread;
      if (said) answersBox.appendChild(el("div", "caller-said", "来电人：" + said));
      if (errors.rasa) answersBox.appendChild(el("div", "flash warning", errors.rasa));
      (d.answers || []).forEach(function (a) { answersBox.appendChild(renderAnswer(a)); });
      copyText = d.copy_text || copyText;
      copyBtn.disabled = !copyText;
      followForm.hidden = !thread || !(d.answers || []).length;
      results.hidden = false;
    };

    var ask = function (body, said) {
      if (busyAssist) return Promise.resolve();
      busyAssist = true;
      submit.disabled = true;
      status.textContent = said ? "正在继续…" : "正在查询…（首次使用需要加载知识库，约需数秒）";
      return call("POST", "/staff/api/assist", body).then(function (d) {
        status.textContent = said ? "已按来电人的回答继续" : "已得到建议答复";
        if (!said) {
          clear(answersBox);
          renderHits(d);
        }
        renderStep(d, said);
      }, function (err) {
        status.textContent = err.message || "查询失败，请稍后再试";
      }).then(function () {
        busyAssist = false;
        submit.disabled = false;
      });
    };

    var follow = function (text, said) {
      if (!thread) return;
      ask({ question: text, sender: thread }, said || text);
    };

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = question.value.trim();
      if (!q) return;
      thread = null;
      copyText = "";
      ask({ question: q });
    });

    followForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var t = followInput.value.trim();
      if (!t) return;
      followInput.value = "";
      follow(t);
    });

    copyBtn.addEventListener("click", function () {
      if (!copyText) return;
      var done = function () {
        copyBtn.textContent = "已复制";
        setTimeout(function () { copyBtn.textContent = "复制答复"; }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(copyText).then(done, fallback);
      } else {
        fallback();
      }
      function fallback() {
        var area = el("textarea");
        area.value = copyText;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (err) { status.textContent = "复制失败，请手动选择文字复制"; }
        document.body.removeChild(area);
      }
    });
  }
})();
