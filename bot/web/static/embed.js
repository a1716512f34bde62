/*
 * 合规通 — embeddable chat button (served at /embed.js).
 *
 * Put one line on any page (a government portal, an industry association's site, a WeChat official-account
 * article page), before </body>:
 *
 *     <script src="https://<合规通的地址>/embed.js" async></script>
 *
 * It adds a floating round "咨询" button in the bottom corner. Tapping it opens the 合规通 widget in an iframe
 * (<合规通的地址>/?embed=1): a panel on desktop, full screen on phones, and moves the keyboard focus into it. The ×
 * in the widget, the button again or the Esc key (inside the panel or on the page) closes it and gives the focus
 * back to the button; the conversation continues where it left off when it is opened again. A reply that arrives
 * while the panel is closed (an agent answering, a notice) puts a red count on the button.
 *
 * Options, as attributes of the script tag:
 *     data-label="咨询合规通"      text of the button's tooltip / accessible name (default "在线咨询")
 *     data-position="left"         bottom-left instead of bottom-right
 *     data-color="#06803e"         the button's colour (its white text needs 4.5:1 contrast: WeChat's #07c160 has 2.4:1)
 *     data-open="1"                open the panel when the page loads
 *     data-remember="1"            keep the visitor's conversation across pages of this site even where the
 *                                  browser blocks storage in third-party iframes (incognito windows, strict
 *                                  privacy settings): the widget's session token is then kept in this site's
 *                                  localStorage ("hegui.chat.token") — which also lets this site's own scripts
 *                                  read that conversation, so only use it on a site you trust with it
 * and window.HeguiChat.open() / .close() / .toggle() for the host page's own buttons.
 *
 * Nothing is read from the host page, and without data-remember nothing is sent to it. The widget keeps its own
 * session: a cookie when the browser allows it in an iframe, otherwise a signed token in the iframe's own
 * (partitioned) storage; where neither is allowed, a conversation lasts as long as the page stays open.
 * A host page with a Content-Security-Policy must allow the 合规通 origin in script-src and frame-src.
 */
(function () {
  "use strict";
  if (window.HeguiChat) return; // included twice

  var script = document.currentScript;
  if (!script) {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/embed\.js(\?|$)/.test(all[i].src)) { script = all[i]; break; }
    }
  }
  var origin = script && script.src ? new URL(script.src, window.location.href).origin : window.location.origin;
  var opt = function (name, fallback) {
    var v = script && script.getAttribute("data-" + name);
    return v ? v : fallback;
  };
  var color = /^#[0-9a-fA-F]{3,8}$/.test(opt("color", "")) ? opt("color", "") : "#06803e";
  var side = opt("position", "right") === "left" ? "left" : "right";
  var label = opt("label", "在线咨询");
  var remember = opt("remember", "") === "1";
  var TOKEN_KEY = "hegui.chat.token";

  var frame = null;
  var panel = null;
  var isOpen = false;
  var ready = false; // the widget in the frame has started and listens
  var unread = 0;

  function css(node, styles) {
    for (var k in styles) if (Object.prototype.hasOwnProperty.call(styles, k)) node.style[k] = styles[k];
  }

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-expanded", "false");
  button.title = label;
  var face = document.createElement("span");
  face.textContent = "咨询";
  face.setAttribute("aria-hidden", "true");
  var badge = document.createElement("span");
  badge.setAttribute("aria-hidden", "true"); // the count is in the button's name
  css(badge, {
    position: "absolute", top: "-4px", right: "-4px", minWidth: "20px", height: "20px", padding: "0 5px",
    borderRadius: "10px", background: "#d92d20", color: "#fff", fontSize: "12px", lineHeight: "20px",
    fontWeight: "600", display: "none", boxSizing: "border-box", border: "2px solid #fff"
  });
  button.appendChild(face);
  button.appendChild(badge);
  css(button, {
    position: "fixed", bottom: "20px", width: "56px", height: "56px", borderRadius: "50%", border: "0",
    background: color, color: "#fff", fontSize: "15px", fontWeight: "600", cursor: "pointer", zIndex: "2147483646",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", fontFamily: "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"
  });
  button.style[side] = "20px";

  function name() {
    button.setAttribute("aria-label", unread && !isOpen ? label + "（" + unread + "条新消息）" : label);
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.style.display = unread && !isOpen ? "block" : "none";
  }

  function layout() {
    if (!panel) return;
    var small = window.innerWidth < 600;
    css(panel, small
      ? { top: "0", bottom: "0", left: "0", right: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { top: "auto", bottom: "88px", left: side === "left" ? "20px" : "auto", right: side === "right" ? "20px" : "auto",
          width: "380px", height: "min(640px, calc(100vh - 120px))", borderRadius: "10px" });
    button.style.display = small && isOpen ? "none" : "block";
  }

  function focusIn() {
    if (!isOpen || !frame) return;
    frame.focus();
    // the widget picks what to focus (its input, or the conversation on touch screens)
    if (ready && frame.contentWindow) frame.contentWindow.postMessage({ type: "hegui:open" }, origin);
  }

  function build() {
    panel = document.createElement("div");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "合规通在线咨询");
    css(panel, { position: "fixed", zIndex: "2147483647", overflow: "hidden", background: "#ededed",
      boxShadow: "0 8px 30px rgba(0,0,0,.25)", display: "none" });
    frame = document.createElement("iframe");
    var src = origin + "/?embed=1";
    if (remember) {
      var token = "";
      try { token = window.localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { token = ""; }
      src += "&remember=1" + (token ? "#t=" + encodeURIComponent(token) : "");
    }
    frame.src = src;
    frame.title = "合规通在线咨询";
    frame.setAttribute("allow", "clipboard-write");
    frame.setAttribute("referrerpolicy", "no-referrer");
    css(frame, { width: "100%", height: "100%", border: "0", display: "block" });
    panel.appendChild(frame);
    document.body.appendChild(panel);
    layout();
  }

  function open() {
    if (!panel) build();
    isOpen = true;
    unread = 0;
    panel.style.display = "block";
    button.setAttribute("aria-expanded", "true");
    face.textContent = "×";
    name();
    layout();
    focusIn();
  }

  function close() {
    if (!panel || !isOpen) return;
    var inside = document.activeElement === frame || panel.contains(document.activeElement);
    isOpen = false;
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    face.textContent = "咨询";
    name();
    layout();
    if (inside) button.focus(); // focus must not stay in a hidden frame
  }

  function toggle() { if (isOpen) close(); else open(); }

  name();
  button.addEventListener("click", toggle);
  window.addEventListener("resize", layout);
  window.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && isOpen) {
      close();
      button.focus();
    }
  });
  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !e.data || !frame || e.source !== frame.contentWindow) return;
    var type = e.data.type;
    if (type === "hegui:close") {
      if (isOpen) {
        close();
        button.focus();
      }
    } else if (type === "hegui:ready") {
      ready = true;
      focusIn();
    } else if (type === "hegui:message") {
      if (!isOpen) {
        unread += Math.max(1, Math.min(50, Number(e.data.count) || 1));
        name();
      }
    } else if (type === "hegui:token" && remember && typeof e.data.token === "string" && e.data.token.length < 600) {
      try { window.localStorage.setItem(TOKEN_KEY, e.data.token); } catch (err) { /* storage blocked here too */ }
    }
  });

  function mount() {
    document.body.appendChild(button);
    if (opt("open", "") === "1") open();
  }

  window.HeguiChat = { open: open, close: close, toggle: toggle };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
