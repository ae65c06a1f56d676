// Starts the widget from the one <script async> tag a merchant adds. The
// script's own URL says where the edge is (its origin) and which shop this is
// (?shop=...). Everything is inside one function: no globals on the page.
var script = document.currentScript;
if (script && script.src) {
  var src = new URL(script.src);
  var start = function () {
    wasm_bindgen({ module_or_path: new URL("__WASM_FILE__", src) })
      .then(function () {
        wasm_bindgen.start_widget(src.origin, src.searchParams.get("shop") || "");
      })
      .catch(function (err) {
        console.warn("backorder widget could not start:", err);
      });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}
