/*
 * 合规通 — embeddable chat button (served at /embed.js).
 *
 * Put one line on any page (a government portal, an industry association's site, a WeChat official-account
 * article page), before </body>:
 *
 *     <script src="https://<合规通的地址>/embed.js" async></script>
 *
 * It adds a floating round "咨询" button in the bottom corner. Tapping it opens the 合规通 widget in an iframe
 * (<合规通的地址>/?embed=1): a panel on desktop, full screen on phones. The × in the widget, the button again
 * or the Esc key closes it; the conversation continues where it left off when it is opened again.
 *
 * Options, as attributes of the script tag:
 *     data-label="咨询合规通"      text of the button's tooltip / accessible name (default "在线咨询")
 *     data-position="left"         bottom-left instead of bottom-right
 *     data-color="#07c160"         the button's colour
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
  var color = /^#[0-9a-fA-F]{3,8}$/.test(opt("color", "")) ? opt("color", "") : "#07c160";
  var side = opt("position", "right") === "left" ? "left" : "right";
  var label = opt("label", "在线咨询");
  var remember = opt("remember", "") === "1";
  var TOKEN_KEY = "hegui.chat.token";

  var frame = null;
  var panel = null;
  var isOpen = false;

  function css(node, styles) {
    for (var k in styles) if (Object.prototype.hasOwnProperty.call(styles, k)) node.style[k] = styles[k];
  }

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-expanded", "false");
  button.title = label;
  button.textContent = "咨询";
  css(button, {
    position: "fixed", bottom: "20px", width: "56px", height: "56px", borderRadius: "50%", border: "0",
    background: color, color: "#fff", fontSize: "15px", fontWeight: "600", cursor: "pointer", zIndex: "2147483646",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", fontFamily: "-apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif"
  });
  button.style[side] = "20px";

  function layout() {
    if (!panel) return;
    var small = window.innerWidth < 600;
    css(panel, small
      ? { top: "0", bottom: "0", left: "0", right: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { top: "auto", bottom: "88px", left: side === "left" ? "20px" : "auto", right: side === "right" ? "20px" : "auto",
          width: "380px", height: "min(640px, calc(100vh - 120px))", borderRadius: "10px" });
    button.style.display = small && isOpen ? "none" : "block";
  }

  function build() {
    panel = document.createElement("div");
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
    panel.style.display = "block";
    button.setAttribute("aria-expanded", "true");
    button.textContent = "×";
    layout();
  }

  function close() {
    if (!panel) return;
    isOpen = false;
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.textContent = "咨询";
    layout();
  }

  function toggle() { if (isOpen) close(); else open(); }

  button.addEventListener("click", toggle);
  window.addEventListener("resize", layout);
  window.addEventListener("keydown", function (e) { if (e.key === "Escape" && isOpen) close(); });
  window.addEventListener("message", function (e) {
    if (e.origin !== origin || !e.data) return;
    if (e.data.type === "hegui:close") close();
    if (e.data.type === "hegui:token" && remember && typeof e.data.token === "string" && e.data.token.length < 600) {
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
