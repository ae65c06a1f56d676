//! Products and suppliers: every product the shop has set, with what its
//! page says today and why, and how many orders wait for it; a product set
//! or changed (a later window says how many waiting orders it will tell
//! before it is confirmed); a delivery history uploaded as CSV.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::settings::{Outcome, Said};
use crate::words::fill;
use crate::{Ctx, api};

#[component]
pub fn Products() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let catalog = RwSignal::new(None::<Value>);
    let suppliers = RwSignal::new(Vec::<Value>::new());
    let failed = RwSignal::new(None::<String>);
    let reload = move || {
        leptos::task::spawn_local(async move {
            match api::get(&ctx.url("/catalog")).await {
                Ok(answer) => catalog.set(Some(answer)),
                Err(failure) => failed.set(Some(failure.message)),
            }
            if let Ok(answer) = api::get(&ctx.url("/suppliers")).await {
                suppliers.set(answer["suppliers"].as_array().cloned().unwrap_or_default());
            }
        });
    };
    reload();
    let words = move || ctx.words();
    view! {
        <h2>{words().products}</h2>
        {move || failed.get().map(|message| view! {
            <p class="error" role="alert">{fill(words().failed, &[("message", &message)])}</p>
        })}
        {move || match catalog.get() {
            None => view! { <p role="status">{words().loading}</p> }.into_any(),
            Some(catalog) => view! { <Catalog catalog /> }.into_any(),
        }}
        <SetProduct catalog reload=Callback::new(move |()| reload()) />
        <Suppliers suppliers />
        <Deliveries reload=Callback::new(move |()| reload()) />
    }
}

/// Each supplier's record from the deliveries learnt: on time, how late,
/// and whether it is slipping now.
#[component]
pub fn Suppliers(suppliers: RwSignal<Vec<Value>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let percent = |share: &Value| format!("{:.0} %", share.as_f64().unwrap_or(0.0) * 100.0);
    let rows = move || {
        suppliers
            .get()
            .into_iter()
            .map(|card| {
                let slipping = card["slipping"]["since"]
                    .as_str()
                    .map(|since| fill(ctx.words().slipping_since, &[("since", since)]))
                    .unwrap_or_default();
                view! {
                    <tr>
                        <th scope="row"><bdi>{card["supplier"].as_str().unwrap_or_default().to_owned()}</bdi></th>
                        <td class="number">{card["deliveries"].as_u64().unwrap_or(0)}</td>
                        <td class="number">{percent(&card["on_time_rate"])}</td>
                        <td class="number">{format!("{:.1}", card["mean_slip_days"].as_f64().unwrap_or(0.0))}</td>
                        <td class="number">{card["p90_slip_days"].as_i64().unwrap_or(0)}</td>
                        <td>{slipping}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="suppliers-title">
            <h3 id="suppliers-title">{words().suppliers}</h3>
            {move || match suppliers.get().is_empty() {
                true => view! { <p>{words().no_suppliers}</p> }.into_any(),
                false => view! {
                    <table class="suppliers">
                        <thead><tr>
                            <th scope="col">{words().supplier}</th>
                            <th scope="col">{words().col_deliveries}</th>
                            <th scope="col">{words().col_on_time}</th>
                            <th scope="col">{words().col_mean_slip}</th>
                            <th scope="col">{words().col_p90_slip}</th>
                            <th scope="col">{words().col_slipping}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

/// What a page says for an availability, and why.
fn said(words: &crate::words::Words, shown: &Value) -> (String, String) {
    match shown["status"].as_str() {
        Some("in_stock") => (words.in_stock.to_owned(), String::new()),
        Some("unavailable") => (words.unavailable.to_owned(), String::new()),
        _ => {
            let window = &shown["window"];
            let says = match (window["earliest"].as_str(), window["latest"].as_str()) {
                (Some(earliest), Some(latest)) => fill(
                    words.ships_between,
                    &[("earliest", earliest), ("latest", latest)],
                ),
                _ => words.no_date.to_owned(),
            };
            let why = match (shown.get("confidence"), shown["uncertain"].as_str()) {
                (Some(confidence), uncertain) => {
                    let mut why = fill(words.estimated, &[("confidence", &confidence.to_string())]);
                    if let Some(uncertain) = uncertain {
                        let said = crate::words::named(&words.uncertainties, uncertain)
                            .unwrap_or(uncertain);
                        why.push_str(&fill(words.uncertain_because, &[("why", said)]));
                    }
                    why
                }
                (None, _) if window.is_object() => words.stated.to_owned(),
                _ => words.no_facts.to_owned(),
            };
            (says, why)
        }
    }
}

#[component]
fn Catalog(catalog: Value) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let products = catalog["products"].as_array().cloned().unwrap_or_default();
    let history = catalog["deliveries_in_history"].as_u64().unwrap_or(0);
    if products.is_empty() {
        return view! {
            <p role="status">{words.no_products}</p>
            <p class="hint">{fill(words.history_size, &[("n", &history.to_string())])}</p>
        }
        .into_any();
    }
    let rows = products
        .into_iter()
        .map(|product| {
            let sku = product["sku"].as_str().unwrap_or_default().to_owned();
            let (says, why) = said(words, &product["shown"]);
            let supplier = product["setting"]["supply"]["supplier"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let waiting = product["waiting_orders"].as_i64().unwrap_or(0);
            let href = format!("#/orders?sku={}&stage=waiting", api::encode(&sku));
            let shown_sku = sku.clone();
            view! {
                <tr data-sku=sku>
                    <th scope="row" dir="ltr">{shown_sku}</th>
                    <td>{says}</td>
                    <td>{why}</td>
                    <td>{supplier}</td>
                    <td class="number"><a href=href>{waiting}</a></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="products">
            <caption>{fill(words.history_size, &[("n", &history.to_string())])}</caption>
            <thead>
                <tr>
                    <th scope="col">{words.sku}</th>
                    <th scope="col">{words.page_says}</th>
                    <th scope="col">{words.why}</th>
                    <th scope="col">{words.supplier}</th>
                    <th scope="col">{words.waiting_orders}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// A product's new setting; when it moves waiting orders later, the delay's
/// reason and fix, and a second step that says how many orders hear it.
#[component]
fn SetProduct(catalog: RwSignal<Option<Value>>, reload: Callback<()>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let sku = RwSignal::new(String::new());
    let status = RwSignal::new("backorder".to_owned());
    let earliest = RwSignal::new(String::new());
    let latest = RwSignal::new(String::new());
    let supplier = RwSignal::new(String::new());
    let mode = RwSignal::new(String::new());
    let arrival = RwSignal::new(String::new());
    let handling = RwSignal::new("2".to_owned());
    let reason = RwSignal::new(String::new());
    let fix = RwSignal::new(String::new());
    let review = RwSignal::new(false);
    let outcome = RwSignal::new(Outcome::Idle);
    // How many orders wait for the SKU typed, as the catalog says.
    let waiting = move || {
        let sku = sku.get();
        catalog
            .get()
            .and_then(|catalog| {
                catalog["products"]
                    .as_array()?
                    .iter()
                    .find(|product| product["sku"].as_str() == Some(sku.trim()))
                    .and_then(|product| product["waiting_orders"].as_i64())
            })
            .unwrap_or(0)
    };
    let body = move || {
        let mut body = json!({ "status": status.get_untracked() });
        if status.get_untracked() == "backorder" {
            let (from, to) = (earliest.get_untracked(), latest.get_untracked());
            if !from.is_empty() || !to.is_empty() {
                body["window"] = json!({ "earliest": from, "latest": to });
            }
            // Supply facts: the edge estimates the window from the
            // supplier's history (a stated window, if given, is shown).
            let who = supplier.get_untracked();
            if !who.trim().is_empty() {
                let arrival = arrival.get_untracked();
                let handling = handling.get_untracked();
                body["supply"] = json!({
                    "supplier": who.trim(),
                    "mode": mode.get_untracked().trim(),
                    "promised_arrival": if arrival.is_empty() { Value::Null } else { json!(arrival) },
                    "handling_business_days": handling.trim().parse::<u8>().map_or(json!(handling), |n| json!(n)),
                });
            }
        }
        let (reason, fix) = (reason.get_untracked(), fix.get_untracked());
        if !reason.trim().is_empty() || !fix.trim().is_empty() {
            body["delay"] = json!({ "reason": reason, "fix": fix });
        }
        body
    };
    let send = move || {
        let url = ctx.url(&format!(
            "/products/{}",
            api::encode(sku.get_untracked().trim())
        ));
        let body = body();
        outcome.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            outcome.set(match api::put(&url, &body).await {
                Ok(answer) => {
                    review.set(false);
                    reload.run(());
                    Outcome::Done(fill(
                        ctx.words().product_saved,
                        &[(
                            "n",
                            &answer["orders_notified"].as_i64().unwrap_or(0).to_string(),
                        )],
                    ))
                }
                Err(failure) => {
                    review.set(false);
                    Outcome::Refused(failure)
                }
            });
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Orders wait: say how many will hear of this before it goes.
        if waiting() > 0 && !review.get_untracked() {
            review.set(true);
            return;
        }
        send();
    };
    let input = move |id: &'static str,
                      label: fn(&crate::words::Words) -> &'static str,
                      signal: RwSignal<String>,
                      kind: &'static str| {
        view! {
            <div class="field">
                <label for=id>{move || label(ctx.words())}</label>
                <input id=id type=kind prop:value=move || signal.get()
                    on:input=move |ev| { signal.set(event_target_value(&ev)); review.set(false); } />
            </div>
        }
    };
    view! {
        <section aria-labelledby="set-product-title">
            <h3 id="set-product-title">{words().set_product}</h3>
            <form class="settings" on:submit=submit>
                <div class="field">
                    <label for="product-sku">{words().sku}</label>
                    <input id="product-sku" required dir="ltr" prop:value=move || sku.get()
                        on:input=move |ev| { sku.set(event_target_value(&ev)); review.set(false); } />
                </div>
                <div class="field">
                    <label for="product-status">{words().status}</label>
                    <select id="product-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="backorder" selected=move || status.get() == "backorder">{words().on_backorder}</option>
                        <option value="in_stock" selected=move || status.get() == "in_stock">{words().in_stock}</option>
                        <option value="unavailable" selected=move || status.get() == "unavailable">{words().unavailable}</option>
                    </select>
                </div>
                <fieldset>
                    <legend>{words().stated_dates}</legend>
                    {input("product-earliest", |w| w.earliest, earliest, "date")}
                    {input("product-latest", |w| w.latest, latest, "date")}
                </fieldset>
                <fieldset>
                    <legend>{words().supply_facts}</legend>
                    <p class="hint">{words().supply_hint}</p>
                    {input("supply-supplier", |w| w.supplier, supplier, "text")}
                    {input("supply-mode", |w| w.mode, mode, "text")}
                    {input("supply-arrival", |w| w.promised_arrival, arrival, "date")}
                    {input("supply-handling", |w| w.handling_days, handling, "number")}
                </fieldset>
                <fieldset>
                    <legend>{words().delay}</legend>
                    <p class="hint">{words().delay_hint}</p>
                    {input("delay-reason", |w| w.delay_reason, reason, "text")}
                    {input("delay-fix", |w| w.delay_fix, fix, "text")}
                </fieldset>
                {move || review.get().then(|| view! {
                    <p class="review" role="alert">{fill(words().will_tell, &[("n", &waiting().to_string())])}</p>
                })}
                <button type="submit" disabled=move || outcome.get() == Outcome::Busy>
                    {move || if review.get() { words().confirm } else { words().save_product }}
                </button>
                <Said outcome />
            </form>
        </section>
    }
}

/// A delivery history file, sent as it is; the edge checks every row and
/// names the first bad one, and learns nothing from a bad file.
#[component]
fn Deliveries(reload: Callback<()>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let outcome = RwSignal::new(Outcome::Idle);
    let file = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chosen) = file
            .get_untracked()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        outcome.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(chosen.text())
                .await
                .ok()
                .and_then(|text| text.as_string());
            let Some(text) = text else {
                outcome.set(Outcome::Idle);
                return;
            };
            outcome.set(
                match api::post_file(&ctx.url("/deliveries"), "text/csv", &text).await {
                    Ok(answer) => {
                        reload.run(());
                        let words = ctx.words();
                        let n = |name: &str| answer[name].as_u64().unwrap_or(0).to_string();
                        match answer["already_learnt"] == json!(true) {
                            true => Outcome::Done(words.already_learnt.to_owned()),
                            false => Outcome::Done(fill(
                                words.learnt,
                                &[
                                    ("n", &n("recorded")),
                                    ("total", &n("deliveries_in_history")),
                                ],
                            )),
                        }
                    }
                    Err(failure) => Outcome::Refused(failure),
                },
            );
        });
    };
    view! {
        <section aria-labelledby="deliveries-title">
            <h3 id="deliveries-title">{words().deliveries}</h3>
            <p class="hint">{words().deliveries_what}</p>
            <form class="settings" on:submit=submit>
                <div class="field wide">
                    <label for="deliveries-file">{words().deliveries_file}</label>
                    <input id="deliveries-file" type="file" accept=".csv,text/csv" required node_ref=file />
                </div>
                <button type="submit" disabled=move || outcome.get() == Outcome::Busy>{words().upload}</button>
                <Said outcome />
            </form>
        </section>
    }
}
