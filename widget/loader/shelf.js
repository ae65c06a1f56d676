// Product pages only: appended to the product module's glue (its
// wasm_bindgen in scope), so that an order page downloads none of it. Draws
// the notices through the module, then the shop's banner and the product
// news pop-up in a few lines of DOM (fewer bytes for shoppers in JavaScript
// than in the module). The loader calls `show` with the edge's answers once
// both the module and the answers are in, the edge's URL and the shop.

// localStorage can be missing or refuse (private windows, sandboxes).
var remembered = function (key) {
  try { return localStorage.getItem(key); } catch (err) { return null; }
};
var remember = function (key, value) {
  try { localStorage.setItem(key, value); } catch (err) { /* forgotten */ }
};
// A box of our own in a shadow root: the merchant's CSS and ours stay apart.
var box = function (host, words, css, html) {
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML = "<style>button{font:inherit;cursor:pointer;border-radius:4px;padding:.35em .8em;" +
    "border:1px solid currentColor;background:#fff;color:#1f1f1f;flex:none}p{margin:0}" +
    "button:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}" + css + "</style>" + html;
  var inner = root.lastChild;
  inner.lang = words.lang;
  inner.dir = words.dir;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "dismiss";
  button.textContent = words.dismiss;
  inner.appendChild(button);
  return { root: inner, text: inner.firstChild, button: button };
};
// The merchant's banner, while it runs: in [data-backorder-banner] or over
// the top of the page, in the page's language when the merchant wrote it.
var banner = function (set, words) {
  if (!set || !set.messages) return;
  var text = set.messages[words.lang] || set.messages.en || set.messages.it || set.messages.ar;
  var closed = "backorder:banner-closed";
  if (!text || remembered(closed) === text) return;
  var host = document.querySelector("[data-backorder-banner]");
  if (!host) {
    // Over the top of the page rather than in it: the page does not
    // move when it appears (a merchant's own element keeps its room).
    host = document.createElement("div");
    host.style.cssText = "position:fixed;inset-inline:0;top:0;z-index:2147483000";
    document.body.appendChild(host);
  }
  var made = box(host, words, ".banner{display:flex;gap:1em;align-items:center;justify-content:space-between;" +
    "padding:.6em 1.2em;background:#fff4d6;color:#3d2c00;border-bottom:1px solid #b08a1e}",
    '<div class="banner" role="region"><p dir="auto"></p></div>');
  made.root.setAttribute("aria-label", words.banner_label);
  made.text.textContent = text;
  made.button.onclick = function () {
    remember(closed, text);
    host.hidden = true;
  };
};
// What the page calls a product: the merchant's data-backorder-name, else
// the heading of the card it sits in, else its SKU; isolated (FSI … PDI)
// so that a name in another script keeps its own direction.
var named = function (sku) {
  var host = document.querySelector('[data-backorder-product="' + sku + '"]');
  var card = host && host.closest("article,li,section,.product");
  var heading = card && card.querySelector("h1,h2,h3,h4");
  var name = (host && host.getAttribute("data-backorder-name")) || (heading && heading.textContent.trim()) || sku;
  var isolated = "\u2068" + name + "\u2069";
  // As a function, so that "$&" in a name stays as written.
  return function () { return isolated; };
};
// A pop-up when a product came back in stock or got a new range since this
// browser last saw it, naming it: once per change, remembered in
// localStorage.
var news = function (products, words) {
  var said = null;
  products.forEach(function (product) {
    var a = product.availability || {};
    var w = a.window;
    var now = a.status + (w ? " " + w.earliest + " " + w.latest : "");
    var key = "backorder:seen:" + product.sku;
    var before = remembered(key);
    remember(key, now);
    if (said || before === null || before === now) return;
    if (a.status === "in_stock") said = words.news_restocked.replace("{name}", named(product.sku));
    if (a.status === "backorder" && w) {
      var day = function (d) { return new Date(d + "T00:00:00Z"); };
      var range = new Intl.DateTimeFormat(words.tag, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" })
        .formatRange(day(w.earliest), day(w.latest))
        // Italian's range pattern pads days ("03–09"): no other date does.
        .replace(/(^|\D)0(\d)/g, "$1$2");
      said = words.news_window.replace("{range}", range).replace("{name}", named(product.sku));
    }
  });
  if (!said) return;
  var host = document.createElement("div");
  document.body.appendChild(host);
  var made = box(host, words, ".region{position:fixed;inset-block-end:1em;inset-inline-end:1em;max-width:24em;z-index:2147483000}" +
    ".popup{display:flex;gap:.8em;align-items:flex-start;background:#1f1f1f;color:#fff;padding:.8em 1em;border-radius:8px}",
    '<div class="region" role="status" aria-live="polite"><p class="popup"><strong></strong> <span></span></p></div>');
  made.text.appendChild(made.button);
  made.button.onclick = function () { host.hidden = true; };
  // Filled a moment after the live region is in the page, so that screen
  // readers announce it; it never takes the focus.
  setTimeout(function () {
    made.text.firstChild.textContent = words.news_label;
    made.text.firstChild.nextSibling.nextSibling.textContent = said;
  }, 100);
};
// "Tell me when it's back" (loader/notify.js), fetched only when a product
// on the page cannot be ordered now.
var notify = function (products, src, shop, words) {
  var sold = products.filter(function (p) { return (p.availability || {}).status === "unavailable"; });
  if (!sold.length) return;
  var script = document.createElement("script");
  script.src = new URL("__NOTIFY_FILE__", src).href;
  script.onload = function () { script.backorder(sold, src.origin, shop, words); };
  document.head.appendChild(script);
};
var show = function (answers, src, shop) {
  wasm_bindgen.start_widget(answers);
  var shopInfo = answers.shop;
  var words = wasm_bindgen.shelf_words(shopInfo ? shopInfo.locale : undefined);
  banner(shopInfo && shopInfo.banner, words);
  news(answers.products, words);
  notify(answers.products, src, shop, words);
  // Once the notices are on screen (after the next paint), for
  // scripts/bench-paint and for any merchant timing their page.
  requestAnimationFrame(function () {
    setTimeout(function () { performance.mark("backorder:painted"); });
  });
};
// Left on this script's own element for the loader, not on the page.
var me = document.currentScript;
if (me) me.backorder = { init: wasm_bindgen, show: show };
