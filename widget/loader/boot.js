// Starts the widget from the one <script async> tag a merchant adds. The
// script's own URL says where the edge is (its origin) and which shop this is
// (?shop=...). On a product page the wasm download and the edge's answer for
// every product on the page run at once; the notices are drawn when both are
// in. The product module's glue and the order module are scripts of their
// own, so that neither kind of page downloads the other's code. Everything is inside
// one function: no globals on the page.
var script = document.currentScript;
if (script && script.src) {
  var src = new URL(script.src);
  var shop = encodeURIComponent(src.searchParams.get("shop") || "");
  var loaded = null;
  // Starts the product module's download, once: its glue and its wasm at the
  // same time. The glue is a script of its own (so that an order page never
  // downloads it, with the banner and the news pop-up: loader/shelf.js),
  // which leaves what it offers on its own element rather than on the page.
  // Resolves to that, with the module started.
  var load = function () {
    if (!loaded) {
      var wasm = fetch(new URL("__SHELF_WASM__", src));
      loaded = new Promise(function (resolve, reject) {
        var glue = document.createElement("script");
        glue.src = new URL("__SHELF_FILE__", src).href;
        glue.onerror = reject;
        glue.onload = function () {
          var shelf = glue.backorder;
          if (!shelf) return reject(new Error("the product module's glue did not load"));
          shelf.init({ module_or_path: wasm }).then(function () { resolve(shelf); }, reject);
        };
        document.head.appendChild(glue);
      });
    }
    return loaded;
  };
  var products = function () { return document.querySelectorAll("[data-backorder-product]"); };
  // The script tag usually comes after the products: start the download now.
  if (products().length) load();
  // One batch read per 50 SKUs (the edge's limit); SKUs the edge would
  // refuse are left to the widget, which says so on the console.
  var ask = function (hosts) {
    var skus = [];
    hosts.forEach(function (host) {
      var sku = host.getAttribute("data-backorder-product").trim();
      if (/^[A-Za-z0-9._-]{1,64}$/.test(sku) && skus.indexOf(sku) < 0) skus.push(sku);
    });
    var batches = [];
    for (var i = 0; i < skus.length; i += 50) {
      batches.push(
        fetch(src.origin + "/v1/shops/" + shop + "/products?skus=" + skus.slice(i, i + 50).join(","))
          .then(function (response) { return response.ok ? response.json() : null; })
          .catch(function () { return null; })
      );
    }
    return Promise.all(batches).then(function (bodies) {
      var answers = { products: [], unknown: [], shop: null };
      bodies.forEach(function (body) {
        if (body && body.products && body.unknown) {
          answers.products = answers.products.concat(body.products);
          answers.unknown = answers.unknown.concat(body.unknown);
          answers.shop = body.shop || answers.shop;
        }
      });
      return answers;
    });
  };
  var start = function () {
    if (document.querySelector("[data-backorder-order]")) {
      var order = document.createElement("script");
      order.async = true;
      order.src = new URL("__ORDER_FILE__?shop=" + shop, src).href;
      document.head.appendChild(order);
    }
    var hosts = products();
    if (!hosts.length) return;
    Promise.all([load(), ask(hosts)])
      .then(function (both) {
        both[0].show(both[1], src, shop);
      })
      .catch(function (err) { console.warn("backorder widget could not start:", err); });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}
