// Follows the orders on an order page: <div data-backorder-order="ORDER"
// data-token="TOKEN"> (or the page's URL carries ?backorder_token=TOKEN).
// The product-page loader adds this script when the page has such a div.
// It reads the order's view while the wasm downloads, then keeps a
// WebSocket to the order's Durable Object; while the socket is down it
// polls, and it reconnects with backoff (1 s, doubling, at most a minute).
// A page that loses the edge keeps what it showed.
var script = document.currentScript;
if (script && script.src) {
  var src = new URL(script.src);
  var shop = encodeURIComponent(src.searchParams.get("shop") || "");
  var loaded = wasm_bindgen({ module_or_path: new URL("__WASM_FILE__", src) });
  var POLL_MS = 10000;
  // A refused link (expired or forged): beside the theme's own content, say
  // so, with a form that asks the edge to email a new link to the order's
  // address. The edge answers alike whether it sent one: so does this.
  var relink = function (host, base) {
    if (host.shadowRoot) return;
    var w = wasm_bindgen.relink_words(host);
    var root = host.attachShadow({ mode: "open" });
    root.innerHTML = "<style>.relink{display:grid;gap:.6em}p{margin:0}input,button{font:inherit}" +
      "button{cursor:pointer;border-radius:4px;padding:.35em .8em;border:1px solid currentColor;background:#fff;color:#1f1f1f}" +
      ":focus-visible{outline:3px solid #0b57d0;outline-offset:2px}</style>" +
      '<section class="relink"><slot></slot><p><strong></strong> <span></span></p>' +
      '<form><label><span></span> <input type="email" name="email" required autocomplete="email"></label> ' +
      '<button type="submit"></button></form><p class="answer" role="status" tabindex="-1"></p></section>';
    var box = root.lastChild;
    box.lang = w[0];
    box.dir = w[1];
    var said = box.children[1], form = box.children[2], answer = box.children[3];
    said.firstChild.textContent = w[2];
    said.lastChild.textContent = w[3];
    form.querySelector("span").textContent = w[4];
    form.querySelector("button").textContent = w[5];
    form.onsubmit = function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(base + "/link", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: form.email.value, lang: w[0] })
      })
        .then(function (response) { return response.status === 202; })
        .catch(function () { return false; })
        .then(function (taken) {
          answer.textContent = taken ? w[6] : w[7];
          if (taken) form.hidden = true;
          button.disabled = false;
          answer.focus();
        });
    };
  };
  var follow = function (host) {
    var order = (host.getAttribute("data-backorder-order") || "").trim();
    var token = host.getAttribute("data-token") ||
      new URLSearchParams(location.search).get("backorder_token");
    if (!order || !token) {
      console.warn("backorder widget: an order needs data-backorder-order and its token");
      return;
    }
    var base = src.origin + "/v1/shops/" + shop + "/orders/" + encodeURIComponent(order);
    var query = "?t=" + encodeURIComponent(token);
    var page = null, poll = null, retry = 1000, refused = false;
    var show = function (text) {
      if (!text) return;
      loaded.then(function () {
        if (!page) page = wasm_bindgen.mount_order(host, base, query);
        if (page) { page.update(text); page.online(true); }
      });
    };
    var offline = function () { if (page) page.online(false); };
    var read = function () {
      return fetch(base + query, { cache: "no-store" })
        .then(function (response) {
          // A link that is not valid (or an order the edge does not know)
          // will not become valid by asking again.
          if (response.status === 403 || response.status === 404) {
            refused = true;
            polling(false);
            // Said on the element, so that the page (and a test) can tell
            // the widget has stopped asking rather than not yet answered.
            host.setAttribute("data-backorder-state", "refused");
            console.warn("backorder widget: the edge refused this order's link");
            loaded.then(function () { relink(host, base); });
          }
          return response.ok ? response.text() : null;
        })
        .catch(function () { return null; })
        .then(function (text) { if (text) show(text); else offline(); });
    };
    var polling = function (on) {
      if (on && !poll && !refused) poll = setInterval(read, POLL_MS);
      if (!on && poll) { clearInterval(poll); poll = null; }
    };
    var connect = function () {
      if (refused) return;
      var socket;
      try {
        socket = new WebSocket(base.replace(/^http/, "ws") + "/live" + query);
      } catch (err) {
        polling(true);
        return;
      }
      socket.onmessage = function (event) {
        retry = 1000;
        polling(false);
        show(event.data);
      };
      socket.onclose = function () {
        offline();
        polling(true);
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 60000);
      };
    };
    read().then(connect);
  };
  var start = function () {
    loaded.catch(function (err) { console.warn("backorder widget could not start:", err); });
    document.querySelectorAll("[data-backorder-order]").forEach(follow);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}
