//! "Does selling on backorder pay?" at a glance (issue 22): backorder
//! customers against the others, cancellations by days late, the options
//! customers chose, how well the promised dates held, who waits now; then
//! the products likely to go on backorder and the suppliers' record. Each
//! chart is drawn from bars of CSS (they mirror in Arabic by themselves)
//! and hidden from screen readers, which read the same numbers in the
//! table beside it.

use leptos::prelude::*;
use serde_json::Value;

use crate::words::{Words, fill};
use crate::{Ctx, api};

#[component]
pub fn Overview() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let figures = RwSignal::new(None::<Result<Value, String>>);
    let flags = RwSignal::new(None::<Value>);
    let suppliers = RwSignal::new(Vec::<Value>::new());
    leptos::task::spawn_local(async move {
        figures.set(Some(
            api::get(&ctx.url("/analytics"))
                .await
                .map_err(|failure| failure.message),
        ));
        flags.set(api::get(&ctx.url("/flags")).await.ok());
        if let Ok(answer) = api::get(&ctx.url("/suppliers")).await {
            suppliers.set(answer["suppliers"].as_array().cloned().unwrap_or_default());
        }
    });
    let csv = ctx.url("/analytics?format=csv");
    view! {
        <h2>{words().overview_title}</h2>
        {move || match figures.get() {
            None => view! { <p role="status">{words().loading}</p> }.into_any(),
            Some(Err(message)) => view! {
                <p class="error" role="alert">{fill(words().failed, &[("message", &message)])}</p>
            }.into_any(),
            Some(Ok(figures)) => view! { <Figures figures /> }.into_any(),
        }}
        <p><a href=csv download="analytics.csv">{words().export_figures}</a></p>
        {move || flags.get().map(|flags| view! { <Flags flags /> })}
        <crate::products::Suppliers suppliers />
    }
}

/// A share as a percentage, with its 95 % interval when there is one.
fn share(value: &Value) -> String {
    match (
        value["share"].as_f64(),
        value["low"].as_f64(),
        value["high"].as_f64(),
    ) {
        (Some(share), Some(low), Some(high)) => format!(
            "{:.0} % ({:.0}–{:.0} %)",
            share * 100.0,
            low * 100.0,
            high * 100.0
        ),
        (Some(share), _, _) => format!("{:.0} %", share * 100.0),
        _ => "—".to_owned(),
    }
}

/// A mean with its 95 % interval, `scale` dividing it (100 for money in
/// minor units).
fn mean(value: &Value, scale: f64, unit: &str) -> String {
    match (
        value["mean"].as_f64(),
        value["low"].as_f64(),
        value["high"].as_f64(),
    ) {
        (Some(mean), Some(low), Some(high)) => format!(
            "{:.2}{unit} ({:.2}–{:.2})",
            mean / scale,
            low / scale,
            high / scale
        ),
        _ => "—".to_owned(),
    }
}

/// Bars for a chart: each label with its value as a share of the largest.
#[component]
fn Bars(bars: Vec<(String, f64, String)>) -> impl IntoView {
    let top = bars
        .iter()
        .map(|(_, value, _)| *value)
        .fold(0.0_f64, f64::max);
    let rows = bars
        .into_iter()
        .map(|(label, value, shown)| {
            let width = if top > 0.0 { value / top * 100.0 } else { 0.0 };
            view! {
                <div class="bar">
                    <span class="bar-label">{label}</span>
                    <span class="bar-track"><span class="bar-fill" style=format!("inline-size: {width:.1}%")></span></span>
                    <span class="bar-value">{shown}</span>
                </div>
            }
        })
        .collect_view();
    view! { <div class="bars" aria-hidden="true">{rows}</div> }
}

/// The answer in a sentence: do backorder customers bring more per head
/// than the others, with intervals apart enough to say so?
fn verdict(words: &Words, customers: &Value) -> &'static str {
    let (ours, theirs) = (
        &customers["backorder"]["revenue_per_customer_minor"],
        &customers["others"]["revenue_per_customer_minor"],
    );
    match (
        ours["low"].as_f64(),
        ours["high"].as_f64(),
        theirs["low"].as_f64(),
        theirs["high"].as_f64(),
    ) {
        (Some(low), _, _, Some(high)) if low > high => words.verdict_more,
        (_, Some(high), Some(low), _) if high < low => words.verdict_less,
        (Some(_), _, Some(_), _) => words.verdict_unclear,
        _ => words.verdict_no_data,
    }
}

#[component]
fn Figures(figures: Value) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let currency = figures["currency"].as_str().unwrap_or_default().to_owned();
    let customers = &figures["customers"];
    let backorders = &figures["backorders"];
    let money = format!(" {currency}");
    type Cell = fn(&Value, &str) -> String;
    let cohort_rows = [
        (
            words.row_customers,
            (|c: &Value, _: &str| c["customers"].as_u64().unwrap_or(0).to_string()) as Cell,
        ),
        (words.row_orders_per_customer, |c: &Value, _: &str| {
            mean(&c["orders_per_customer"], 1.0, "")
        }),
        (words.row_back_90, |c: &Value, _: &str| {
            share(&c["back_within_90_days"])
        }),
        (words.row_back_365, |c: &Value, _: &str| {
            share(&c["back_within_365_days"])
        }),
        (words.row_revenue_per_customer, |c: &Value, money: &str| {
            mean(&c["revenue_per_customer_minor"], 100.0, money)
        }),
    ]
    .into_iter()
    .map(|(label, cell)| {
        view! {
            <tr>
                <th scope="row">{label}</th>
                <td class="number">{cell(&customers["backorder"], &money)}</td>
                <td class="number">{cell(&customers["others"], &money)}</td>
            </tr>
        }
    })
    .collect_view();
    let revenue_bars = vec![
        (
            words.backorder_customers.to_owned(),
            customers["backorder"]["revenue_per_customer_minor"]["mean"]
                .as_f64()
                .unwrap_or(0.0),
            mean(
                &customers["backorder"]["revenue_per_customer_minor"],
                100.0,
                &money,
            ),
        ),
        (
            words.other_customers.to_owned(),
            customers["others"]["revenue_per_customer_minor"]["mean"]
                .as_f64()
                .unwrap_or(0.0),
            mean(
                &customers["others"]["revenue_per_customer_minor"],
                100.0,
                &money,
            ),
        ),
    ];
    let lateness: Vec<(String, f64, String)> = backorders["cancelled_by_lateness"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|band| {
            (
                fill(
                    words.days_late_band,
                    &[("band", band["days_late"].as_str().unwrap_or_default())],
                ),
                band["cancelled"]["share"].as_f64().unwrap_or(0.0),
                share(&band["cancelled"]),
            )
        })
        .collect();
    let lateness_rows = lateness
        .iter()
        .map(|(label, _, shown)| view! { <tr><th scope="row">{label.clone()}</th><td class="number">{shown.clone()}</td></tr> })
        .collect_view();
    // Each option's choices over the period, and the offers that lapsed.
    let months = backorders["choices"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total = |code: &str| {
        months
            .iter()
            .map(|month| month[code].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let choices: Vec<(String, f64, String)> = words
        .choice_kinds
        .iter()
        .map(|(code, label)| {
            let n = total(code);
            ((*label).to_owned(), n as f64, n.to_string())
        })
        .collect();
    let choice_rows = choices
        .iter()
        .map(|(label, _, shown)| view! { <tr><th scope="row">{label.clone()}</th><td class="number">{shown.clone()}</td></tr> })
        .collect_view();
    // The same, month by month.
    let month_rows = months
        .iter()
        .map(|month| {
            let cells = words
                .choice_kinds
                .iter()
                .map(|(code, _)| view! { <td class="number">{month[*code].as_u64().unwrap_or(0)}</td> })
                .collect_view();
            view! { <tr><th scope="row" dir="ltr">{month["month"].as_str().unwrap_or_default().to_owned()}</th>{cells}</tr> }
        })
        .collect_view();
    let month_heads = words
        .choice_kinds
        .iter()
        .map(|(_, label)| view! { <th scope="col">{*label}</th> })
        .collect_view();
    // Promise accuracy per product and per supplier.
    let accuracy_rows = ["sku", "supplier"]
        .into_iter()
        .flat_map(|by| {
            backorders[format!("promise_accuracy_by_{by}")]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |row| (row[by].as_str().unwrap_or_default().to_owned(), row["accuracy"].clone()))
        })
        .map(|(name, accuracy)| view! {
            <tr>
                <th scope="row"><bdi>{name}</bdi></th>
                <td class="number">{accuracy["shipped"].as_u64().unwrap_or(0)}</td>
                <td class="number">{share(&accuracy["on_time"])}</td>
                <td class="number">{accuracy["mean_days_late"].as_f64().map_or("—".to_owned(), |d| format!("{d:.1}"))}</td>
                <td class="number">{accuracy["p90_days_late"].as_f64().map_or("—".to_owned(), |d| format!("{d:.0}"))}</td>
            </tr>
        })
        .collect_view();
    let demand_rows = backorders["demand_waiting"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|row| view! {
            <tr>
                <th scope="row" dir="ltr">{row["sku"].as_str().unwrap_or_default().to_owned()}</th>
                <td class="number">{row["orders"].as_u64().unwrap_or(0)}</td>
                <td class="number">{row["units"].as_u64().unwrap_or(0)}</td>
                <td class="number">{format!("{:.2} {currency}", row["value_minor"].as_f64().unwrap_or(0.0) / 100.0)}</td>
            </tr>
        })
        .collect_view();
    let waits = |waits: &Value| {
        let days = |name: &str| {
            waits[name]
                .as_f64()
                .map_or("—".to_owned(), |d| format!("{d:.0}"))
        };
        (
            waits["orders"].as_u64().unwrap_or(0),
            days("median_days"),
            days("p90_days"),
            days("longest_days"),
        )
    };
    let (now_n, now_median, now_p90, now_longest) = waits(&backorders["waiting_now"]);
    let (was_n, was_median, was_p90, was_longest) = waits(&backorders["waited"]);
    let accuracy = &backorders["promise_accuracy"];
    let shipped = accuracy["shipped"].as_u64().unwrap_or(0);
    let any_accuracy = ["sku", "supplier"].iter().any(|by| {
        backorders[format!("promise_accuracy_by_{by}")]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
    });
    let kept = backorders["revenue_kept_minor"].as_f64().unwrap_or(0.0) / 100.0;
    let returned = backorders["revenue_returned_minor"].as_f64().unwrap_or(0.0) / 100.0;
    let period = fill(
        words.period,
        &[
            ("from", figures["from"].as_str().unwrap_or_default()),
            ("to", figures["to"].as_str().unwrap_or_default()),
        ],
    );
    view! {
        <p class="hint">{period}</p>
        <section aria-labelledby="pay-title">
            <h3 id="pay-title">{words.does_it_pay}</h3>
            <p class="verdict">{verdict(words, customers)}</p>
            <Bars bars=revenue_bars />
            <table class="cohorts">
                <caption>{words.cohorts_caption}</caption>
                <thead><tr>
                    <th scope="col"><span class="visually-hidden">{words.figure}</span></th>
                    <th scope="col">{words.backorder_customers}</th>
                    <th scope="col">{words.other_customers}</th>
                </tr></thead>
                <tbody>{cohort_rows}</tbody>
            </table>
            <dl class="money">
                <dt>{words.revenue_kept}</dt><dd>{format!("{kept:.2} {currency}")}</dd>
                <dt>{words.revenue_returned}</dt><dd>{format!("{returned:.2} {currency}")}</dd>
            </dl>
        </section>
        <section aria-labelledby="cancel-title">
            <h3 id="cancel-title">{words.cancelled_by_lateness}</h3>
            <Bars bars=lateness />
            <table class="lateness"><tbody>{lateness_rows}</tbody></table>
        </section>
        <section aria-labelledby="choices-title">
            <h3 id="choices-title">{words.choices_made}</h3>
            <Bars bars=choices />
            <table class="choices"><tbody>{choice_rows}</tbody></table>
            <table class="months">
                <caption>{words.by_month}</caption>
                <thead><tr><th scope="col">{words.month}</th>{month_heads}</tr></thead>
                <tbody>{month_rows}</tbody>
            </table>
        </section>
        <section aria-labelledby="promise-title">
            <h3 id="promise-title">{words.promise_held}</h3>
            <dl>
                <dt>{words.shipped}</dt><dd class="shipped">{shipped}</dd>
                <dt>{words.on_time}</dt><dd>{share(&accuracy["on_time"])}</dd>
                <dt>{words.mean_days_late}</dt><dd>{accuracy["mean_days_late"].as_f64().filter(|_| shipped > 0).map_or("—".to_owned(), |d| format!("{d:.1}"))}</dd>
            </dl>
            <table class="accuracy" hidden=!any_accuracy>
                <thead><tr>
                    <th scope="col">{words.sku_or_supplier}</th>
                    <th scope="col">{words.shipped}</th>
                    <th scope="col">{words.on_time}</th>
                    <th scope="col">{words.mean_days_late}</th>
                    <th scope="col">{words.col_p90_slip}</th>
                </tr></thead>
                <tbody>{accuracy_rows}</tbody>
            </table>
        </section>
        <section aria-labelledby="waits-title">
            <h3 id="waits-title">{words.waits}</h3>
            <table class="waits">
                <thead><tr>
                    <th scope="col"><span class="visually-hidden">{words.figure}</span></th>
                    <th scope="col">{words.orders}</th>
                    <th scope="col">{words.median_wait}</th>
                    <th scope="col">{words.p90_wait}</th>
                    <th scope="col">{words.longest_wait}</th>
                </tr></thead>
                <tbody>
                    <tr><th scope="row">{words.waiting_now}</th><td class="number waiting-now">{now_n}</td><td class="number">{now_median}</td><td class="number">{now_p90}</td><td class="number">{now_longest}</td></tr>
                    <tr><th scope="row">{words.waited}</th><td class="number">{was_n}</td><td class="number">{was_median}</td><td class="number">{was_p90}</td><td class="number">{was_longest}</td></tr>
                </tbody>
            </table>
            <h4>{words.demand_waiting}</h4>
            <table class="demand">
                <thead><tr>
                    <th scope="col">{words.sku}</th>
                    <th scope="col">{words.orders}</th>
                    <th scope="col">{words.units}</th>
                    <th scope="col">{words.value}</th>
                </tr></thead>
                <tbody>{demand_rows}</tbody>
            </table>
        </section>
    }
}

/// The products most likely to go on backorder, and why.
#[component]
fn Flags(flags: Value) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let signal = move |code: &str| {
        crate::words::named(&words.signals, code)
            .map_or_else(|| code.replace('_', " "), str::to_owned)
    };
    let products = flags["products"].as_array().cloned().unwrap_or_default();
    let rows = products
        .into_iter()
        .take(20)
        .map(|product| {
            let reasons: Vec<String> = product["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|reason| signal(reason["signal"].as_str().unwrap_or_default()))
                .collect();
            let flagged = product["flagged"].as_bool().unwrap_or(false);
            view! {
                <tr data-sku=product["sku"].as_str().unwrap_or_default().to_owned() class:flagged=flagged>
                    <th scope="row" dir="ltr">{product["sku"].as_str().unwrap_or_default().to_owned()}</th>
                    <td class="number">{format!("{:.0} %", product["probability"].as_f64().unwrap_or(0.0) * 100.0)}</td>
                    <td>{if flagged { words.flag_yes } else { "" }}</td>
                    <td>{reasons.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="flags-title">
            <h3 id="flags-title">{words.likely_backorder}</h3>
            <p class="hint">{words.flags_what}</p>
            <table class="flags">
                <thead><tr>
                    <th scope="col">{words.sku}</th>
                    <th scope="col">{words.chance}</th>
                    <th scope="col">{words.flagged}</th>
                    <th scope="col">{words.why}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
