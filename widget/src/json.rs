//! Reading the edge's JSON through the browser's own parser, field by
//! field: serde's deserialisers for `shared`'s types cost shoppers tens of
//! KB of wasm. Both modules' readers (`edge.rs`, `order/decode.rs`) build on
//! these; anything that does not read as the edge writes it gives `None`.

use shared::ShipWindow;
use wasm_bindgen::JsValue;

/// An object's field, absent when missing or `null`.
pub fn field(object: &JsValue, name: &str) -> Option<JsValue> {
    if !object.is_object() {
        return None;
    }
    js_sys::Reflect::get(object, &JsValue::from_str(name))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

pub fn text(object: &JsValue, name: &str) -> Option<String> {
    field(object, name)?.as_string()
}

/// A `ShipWindow` in its JSON form (`{"earliest": …, "latest": …}`).
pub fn ship_window(window: &JsValue) -> Option<ShipWindow> {
    let earliest = text(window, "earliest")?.parse().ok()?;
    let latest = text(window, "latest")?.parse().ok()?;
    ShipWindow::new(earliest, latest).ok()
}
