//! Every backorder order of the shop: filters, search by order number or a
//! customer's exact email, a page at a time from the server, and a CSV of
//! what is shown.

use leptos::prelude::*;
use serde_json::Value;
use web_sys::UrlSearchParams;

use crate::words::fill;
use crate::{Ctx, api, go};

/// The filters a query holds, as the form shows them.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    q: String,
    stage: String,
    sku: String,
    tag: String,
    needs_decision: bool,
    consent_soon: bool,
}

impl Filters {
    fn read(query: &str) -> Filters {
        let Ok(params) = UrlSearchParams::new_with_str(query) else {
            return Filters::default();
        };
        let get = |name: &str| params.get(name).unwrap_or_default();
        Filters {
            q: get("q"),
            stage: get("stage"),
            sku: get("sku"),
            tag: get("tag"),
            needs_decision: get("needs_decision") == "true",
            consent_soon: !get("consent_within_days").is_empty(),
        }
    }

    /// The query for the list (and its CSV), without a page's cursor.
    fn query(&self) -> String {
        let Ok(params) = UrlSearchParams::new() else {
            return String::new();
        };
        for (name, value) in [
            ("q", self.q.trim()),
            ("stage", self.stage.as_str()),
            ("sku", self.sku.trim()),
            ("tag", self.tag.trim()),
        ] {
            if !value.is_empty() {
                params.append(name, value);
            }
        }
        if self.needs_decision {
            params.append("needs_decision", "true");
        }
        if self.consent_soon {
            params.append("consent_within_days", "3");
        }
        String::from(params.to_string())
    }
}

/// What the list shows now.
#[derive(Clone, Debug, PartialEq)]
enum Listing {
    Loading,
    Failed(String),
    Shown {
        orders: Vec<Value>,
        total: u64,
        next: Option<String>,
    },
}

#[component]
pub fn Orders(query: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let shown = Filters::read(&query);
    let after = UrlSearchParams::new_with_str(&query)
        .ok()
        .and_then(|params| params.get("after"));
    let form = RwSignal::new(shown.clone());
    let listing = RwSignal::new(Listing::Loading);
    let list_query = shown.query();
    {
        let mut url = ctx.url(&format!("/orders?limit=50&{list_query}"));
        if let Some(after) = &after {
            url.push_str(&format!("&after={}", api::encode(after)));
        }
        leptos::task::spawn_local(async move {
            listing.set(match api::get(&url).await {
                Ok(answer) => Listing::Shown {
                    orders: answer["orders"].as_array().cloned().unwrap_or_default(),
                    total: answer["total"].as_u64().unwrap_or(0),
                    next: answer["next"].as_str().map(str::to_owned),
                },
                Err(failure) => Listing::Failed(failure.message),
            });
        });
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go(&format!("#/orders?{}", form.get_untracked().query()));
    };
    let csv = ctx.url(&format!("/orders?format=csv&{list_query}"));
    let text = move |field: fn(&mut Filters) -> &mut String| {
        move |ev: leptos::ev::Event| form.update(|f| *field(f) = event_target_value(&ev))
    };
    let base = list_query.clone();
    view! {
        <section aria-labelledby="orders-title">
            <h2 id="orders-title">{move || ctx.words().orders}</h2>
            <form class="filters" on:submit=submit>
                <div class="search">
                    <label for="q">{move || ctx.words().search}</label>
                    <input id="q" type="search" aria-describedby="q-hint"
                        prop:value=move || form.get().q on:input=text(|f| &mut f.q) />
                    <span id="q-hint" class="hint">{move || ctx.words().search_hint}</span>
                </div>
                <label>{move || ctx.words().stage} " "
                    <select on:change=text(|f| &mut f.stage)>
                        <option value="" selected=shown.stage.is_empty()>{move || ctx.words().any_stage}</option>
                        {move || ctx.words().stages.iter().map(|(code, name)| {
                            let code = *code;
                            view! { <option value=code selected=move || form.get().stage == code>{*name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || ctx.words().sku} " "
                    <input prop:value=move || form.get().sku on:input=text(|f| &mut f.sku) />
                </label>
                <label>{move || ctx.words().tag} " "
                    <input prop:value=move || form.get().tag on:input=text(|f| &mut f.tag) />
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.get().needs_decision
                        on:change=move |ev| form.update(|f| f.needs_decision = event_target_checked(&ev)) />
                    {move || ctx.words().needs_decision}
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.get().consent_soon
                        on:change=move |ev| form.update(|f| f.consent_soon = event_target_checked(&ev)) />
                    {move || ctx.words().consent_soon}
                </label>
                <button type="submit">{move || ctx.words().apply}</button>
                <a href="#/orders">{move || ctx.words().clear}</a>
            </form>
            <p><a href=csv download="orders.csv">{move || ctx.words().export_csv}</a></p>
            {move || match listing.get() {
                Listing::Loading => view! { <p role="status">{ctx.words().loading}</p> }.into_any(),
                Listing::Failed(message) => view! {
                    <p class="error" role="alert">{fill(ctx.words().failed, &[("message", &message)])}</p>
                }.into_any(),
                Listing::Shown { orders, total, next } => {
                    let base = base.clone();
                    view! { <Table orders total next base first=after.is_some() /> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Table(
    orders: Vec<Value>,
    total: u64,
    next: Option<String>,
    base: String,
    first: bool,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let stage_name = move |code: &str| {
        crate::words::named(&words.stages, code)
            .unwrap_or(code)
            .to_owned()
    };
    let count = fill(words.total, &[("n", &total.to_string())]);
    if orders.is_empty() {
        return view! { <p role="status">{words.no_orders}</p> }.into_any();
    }
    let rows = orders
        .into_iter()
        .map(|order| {
            let id = order["order"].as_str().unwrap_or_default().to_owned();
            let href = format!("#/orders/{}", api::encode(&id));
            let window = match (order["window"]["earliest"].as_str(), order["window"]["latest"].as_str()) {
                (Some(earliest), Some(latest)) => format!("{earliest} – {latest}"),
                _ => String::new(),
            };
            let tags: Vec<String> = order["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|tag| tag.as_str().map(str::to_owned))
                .collect();
            let decision = order["needs_decision"]
                .as_bool()
                .unwrap_or(false)
                .then(|| view! { " " <span class="badge">{words.decision_badge}</span> });
            view! {
                <tr data-order=id.clone()>
                    <th scope="row"><a href=href>{id.clone()}</a></th>
                    <td>{order["placed_at"].as_str().unwrap_or_default().chars().take(10).collect::<String>()}</td>
                    <td>{stage_name(order["stage"].as_str().unwrap_or_default())}{decision}</td>
                    <td dir="ltr">{window}</td>
                    <td class="number">{order["days_waiting"].as_i64().unwrap_or(0)}</td>
                    <td>{order["chosen"].as_str().unwrap_or_default().to_owned()}</td>
                    <td>{tags.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    let next = next.map(|after| {
        let href = format!("#/orders?{base}&after={}", api::encode(&after));
        view! { <a class="page" href=href>{words.next_page}</a> }
    });
    let first = first.then(|| {
        let href = format!("#/orders?{base}");
        view! { <a class="page" href=href>{words.first_page}</a> }
    });
    view! {
        <table class="orders">
            <caption>{count}</caption>
            <thead>
                <tr>
                    <th scope="col">{words.col_order}</th>
                    <th scope="col">{words.col_placed}</th>
                    <th scope="col">{words.col_stage}</th>
                    <th scope="col">{words.col_window}</th>
                    <th scope="col">{words.col_days}</th>
                    <th scope="col">{words.col_choice}</th>
                    <th scope="col">{words.col_tags}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <nav class="pages" aria-label=words.orders>{first}{next}</nav>
    }
    .into_any()
}
