//! One order as support sees it: the customer's own page (framed, from a
//! fresh link: the same view, rendered the same way), and beside it what
//! only the shop sees: the contact, every email (open it as sent, send it
//! again), every action for the back office, the deadlines and the notes.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::words::fill;
use crate::{Ctx, api};

#[derive(Clone, Debug, PartialEq)]
enum Loaded {
    Loading,
    Failed(String),
    Shown(Value),
}

/// The customer's page for a link path the edge made
/// (`/v1/shops/S/orders/O?t=…`), in the console's language.
fn page_of(link_path: &str, lang: &str) -> Option<String> {
    let (path, query) = link_path.split_once('?')?;
    Some(format!("{path}/page?{query}&lang={lang}"))
}

#[component]
pub fn OrderDesk(order: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let loaded = RwSignal::new(Loaded::Loading);
    let page = RwSignal::new(None::<String>);
    let reload = {
        let order = order.clone();
        move || {
            let url = ctx.url(&format!("/orders/{}/support", api::encode(&order)));
            leptos::task::spawn_local(async move {
                loaded.set(match api::get(&url).await {
                    Ok(answer) => Loaded::Shown(answer),
                    Err(failure) => Loaded::Failed(failure.message),
                });
            });
        }
    };
    reload();
    {
        // A link for a day: enough to look, and to open in a new tab.
        let order = order.clone();
        let url = ctx.url("/links");
        leptos::task::spawn_local(async move {
            let body = json!({"order": order, "expires_in_days": 1});
            if let Ok(link) = api::post(&url, &body).await {
                page.set(link["path"].as_str().map(str::to_owned));
            }
        });
    }
    let title = {
        let order = order.clone();
        move || fill(ctx.words().order_title, &[("order", &order)])
    };
    let customer = move || {
        let words = ctx.words();
        page.get()
            .and_then(|path| page_of(&path, ctx.lang.get().code()))
            .map(|src| {
                view! {
                    <p><a href=src.clone() target="_blank" rel="noopener">{words.open_customer_page}</a></p>
                    <iframe class="customer" src=src title=words.customer_frame></iframe>
                }
            })
    };
    let reload = StoredValue::new(reload);
    view! {
        <p><a href="#/orders">{move || ctx.words().back}</a></p>
        <h2>{title}</h2>
        <div class="desk">
            <section class="customer-view" aria-labelledby="customer-sees">
                <h3 id="customer-sees">{move || ctx.words().customer_sees}</h3>
                {customer}
            </section>
            <div class="shop-side">
                {move || match loaded.get() {
                    Loaded::Loading => view! { <p role="status">{ctx.words().loading}</p> }.into_any(),
                    Loaded::Failed(message) => view! {
                        <p class="error" role="alert">{fill(ctx.words().failed, &[("message", &message)])}</p>
                    }.into_any(),
                    Loaded::Shown(support) => view! {
                        <Contact support=support.clone() />
                        <Emails support=support.clone() />
                        <Actions support=support.clone() />
                        <Notes support order=order.clone() reload=move || reload.with_value(|r| r()) />
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

fn shown(value: &Value) -> String {
    value.as_str().map_or_else(|| "—".to_owned(), str::to_owned)
}

/// An RFC 3339 instant as support reads it: `2027-01-30 00:00 UTC`.
fn instant(value: &Value) -> Option<String> {
    let text = value.as_str()?;
    let (date, time) = text.split_once('T')?;
    Some(format!("{date} {} UTC", time.get(..5)?))
}

/// A wire code (`delay_notice`) as words (`delay notice`).
/// An email's or an action's state in words.
fn state_words(words: &crate::words::Words, value: &Value) -> String {
    let code = value.as_str().unwrap_or_default();
    crate::words::named(&words.states, code).map_or_else(|| code.to_owned(), str::to_owned)
}

fn code_words(value: &Value) -> String {
    value.as_str().unwrap_or_default().replace('_', " ")
}

#[component]
fn Contact(support: Value) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let contact = &support["contact"];
    let deadline = |value: &Value| instant(value).unwrap_or_else(|| words.none.to_owned());
    view! {
        <section aria-labelledby="contact">
            <h3 id="contact">{words.contact}</h3>
            <dl>
                <dt>{words.email}</dt><dd dir="ltr" class="contact-email">{shown(&contact["email"])}</dd>
                <dt>{words.name}</dt><dd>{shown(&contact["name"])}</dd>
                <dt>{words.customer_language}</dt><dd>{shown(&contact["locale"])}</dd>
            </dl>
            <h3>{words.deadlines}</h3>
            <dl>
                <dt>{words.consent_by}</dt><dd dir="ltr">{deadline(&support["deadlines"]["consent_by"])}</dd>
                <dt>{words.refund_by}</dt><dd dir="ltr">{deadline(&support["deadlines"]["refund_by"])}</dd>
            </dl>
        </section>
    }
}

#[component]
fn Emails(support: Value) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let opened = RwSignal::new(None::<String>);
    let said = RwSignal::new(None::<String>);
    let open = move |key: String| {
        let url = ctx.url(&format!("/emails/one?key={}", api::encode(&key)));
        leptos::task::spawn_local(async move {
            if let Ok(email) = api::get(&url).await {
                opened.set(email["html"].as_str().map(str::to_owned));
            }
        });
    };
    let again = move |key: String| {
        let url = ctx.url("/emails/send-again");
        leptos::task::spawn_local(async move {
            said.set(Some(match api::post(&url, &json!({ "key": key })).await {
                Ok(_) => ctx.words().sent_again.to_owned(),
                Err(failure) => failure.message,
            }));
        });
    };
    let rows = support["emails"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|email| {
            let key = email["key"].as_str().unwrap_or_default().to_owned();
            let (k1, k2) = (key.clone(), key.clone());
            let when = email["created_at"]
                .as_i64()
                .and_then(|at| js_sys::Date::new(&(at as f64 * 1000.0).into()).to_iso_string().as_string())
                .map(|at| at.chars().take(16).collect::<String>().replace('T', " "))
                .unwrap_or_default();
            view! {
                <tr data-email=email["kind"].as_str().unwrap_or_default().to_owned()>
                    <th scope="row">{code_words(&email["kind"])}</th>
                    <td data-state=email["state"].as_str().unwrap_or_default().to_owned()>{state_words(words, &email["state"])}</td>
                    <td>{shown(&email["subject"])}</td>
                    <td dir="ltr">{when}</td>
                    <td>
                        <button type="button" on:click=move |_| open(k1.clone())>{words.open_email}</button>
                        " "
                        <button type="button" on:click=move |_| again(k2.clone())>{words.send_again}</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="emails">
            <h3 id="emails">{words.emails}</h3>
            <table>
                <thead><tr>
                    <th scope="col">{words.col_kind}</th>
                    <th scope="col">{words.col_state}</th>
                    <th scope="col">{words.col_subject}</th>
                    <th scope="col">{words.col_when}</th>
                    <th scope="col"><span class="visually-hidden">{words.actions}</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {move || said.get().map(|said| view! { <p role="status">{said}</p> })}
            {move || opened.get().map(|html| view! {
                <div class="email">
                    <button type="button" on:click=move |_| opened.set(None)>{words.close_email}</button>
                    <iframe sandbox="" srcdoc=html title=words.email_frame></iframe>
                </div>
            })}
        </section>
    }
}

#[component]
fn Actions(support: Value) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let rows = support["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|action| {
            view! {
                <tr>
                    <th scope="row">{code_words(&action["kind"])}</th>
                    <td data-state=action["state"].as_str().unwrap_or_default().to_owned()>{state_words(words, &action["state"])}</td>
                    <td class="number">{action["attempts"].as_i64().unwrap_or(0)}</td>
                    <td dir="ltr">{instant(&action["deadline"]).unwrap_or_else(|| "—".to_owned())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="actions">
            <h3 id="actions">{words.actions}</h3>
            <table>
                <thead><tr>
                    <th scope="col">{words.col_action}</th>
                    <th scope="col">{words.col_state}</th>
                    <th scope="col">{words.col_attempts}</th>
                    <th scope="col">{words.col_deadline}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

#[component]
fn Notes(support: Value, order: String, reload: impl Fn() + Copy + 'static) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = ctx.words();
    let text = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<String>);
    let notes = support["notes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|note| {
            view! {
                <li>
                    <p class="note-text">{note["text"].as_str().unwrap_or_default().to_owned()}</p>
                    <p class="hint">{note["who"].as_str().unwrap_or_default().to_owned()} " · "
                        <span dir="ltr">{note["at"].as_str().unwrap_or_default().to_owned()}</span></p>
                </li>
            }
        })
        .collect_view();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = ctx.url(&format!("/orders/{}/notes", api::encode(&order)));
        let body = json!({ "text": text.get_untracked() });
        leptos::task::spawn_local(async move {
            match api::post(&url, &body).await {
                Ok(_) => reload(),
                Err(failed) => failure.set(Some(failed.message)),
            }
        });
    };
    view! {
        <section aria-labelledby="notes">
            <h3 id="notes">{words.notes}</h3>
            <ul class="notes">{notes}</ul>
            <form on:submit=submit>
                <label for="note">{words.note}</label>
                <textarea id="note" rows="3" required
                    prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <button type="submit">{words.add_note}</button>
                {move || failure.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            </form>
        </section>
    }
}
