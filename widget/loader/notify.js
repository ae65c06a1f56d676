// "Tell me when it's back", under the notice of each product the edge says
// cannot be ordered now. Loaded by loader/shelf.js only on a page that has
// such a product, so that no other page downloads it. Plain DOM in the
// notice's shadow root; its words are the `notify` section of
// templates/{en,it,ar}.json (esbuild keeps only that section).
import { notify as en } from "../../templates/en.json";
import { notify as it } from "../../templates/it.json";
import { notify as ar } from "../../templates/ar.json";

var all = { en: en, it: it, ar: ar };
var style = "form{margin:.5em 0 0;display:flex;flex-wrap:wrap;gap:.4em;align-items:flex-end}strong{flex-basis:100%}" +
  "label{display:flex;flex-direction:column;gap:.2em;font-size:.9em}" +
  "input{font:inherit;padding:.3em .5em;border:1px solid #6b6b6b;border-radius:4px;min-width:14em}" +
  "button{font:inherit;cursor:pointer;border-radius:4px;padding:.35em .8em;border:1px solid currentColor;background:#fff;color:#1f1f1f}" +
  ":focus-visible{outline:3px solid #0b57d0;outline-offset:2px}.said{margin:.5em 0 0}";

// `products`: the edge's answers for the products that cannot be ordered
// now; `edge`: its origin; `shop`: the shop's id, URL-encoded; `speech`:
// the page's language and direction, as the module chose them.
var me = document.currentScript;
if (me) me.backorder = function (products, edge, shop, speech) {
  var words = all[speech.lang] || en;
  products.forEach(function (product) {
    var host = document.querySelector('[data-backorder-product="' + product.sku + '"]');
    var root = host && host.shadowRoot;
    if (!root || root.querySelector("form")) return;
    var box = document.createElement("div");
    box.lang = speech.lang;
    box.dir = speech.dir;
    box.innerHTML = "<style>" + style + '</style><form aria-labelledby="ask"><strong id="ask"></strong><label><span></span>' +
      '<input type="email" name="email" required autocomplete="email"></label>' +
      '<button type="submit"></button></form><p class="said" role="status"></p>';
    var form = box.querySelector("form");
    var said = box.querySelector(".said");
    box.querySelector("span").textContent = words.email;
    box.querySelector("button").textContent = words.button;
    box.querySelector("strong").textContent = words.label;
    form.onsubmit = function (event) {
      event.preventDefault();
      fetch(edge + "/v1/shops/" + shop + "/products/" + encodeURIComponent(product.sku) + "/watchers", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: form.email.value, lang: speech.lang })
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          form.hidden = true;
          said.textContent = words.sent;
        })
        .catch(function () { said.textContent = words.failed; });
    };
    root.appendChild(box);
  });
};
