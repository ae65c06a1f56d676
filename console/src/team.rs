//! The owner's team page: agent keys for support (made here, shown once,
//! revoked here) and the audit log of every change and every look at a
//! customer's contact.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::settings::{Outcome, Said};
use crate::words::fill;
use crate::{Ctx, api};

#[component]
pub fn Team() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let agents = RwSignal::new(Vec::<Value>::new());
    let audit = RwSignal::new(Vec::<Value>::new());
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(answer) = api::get(&ctx.url("/agents")).await {
                agents.set(answer["agents"].as_array().cloned().unwrap_or_default());
            }
            if let Ok(answer) = api::get(&ctx.url("/audit?limit=50")).await {
                audit.set(answer["entries"].as_array().cloned().unwrap_or_default());
            }
        });
    };
    reload();
    let name = RwSignal::new(String::new());
    let key = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(Outcome::Idle);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({ "name": name.get_untracked() });
        leptos::task::spawn_local(async move {
            match api::post(&ctx.url("/agents"), &body).await {
                Ok(answer) => {
                    key.set(answer["key"].as_str().map(str::to_owned));
                    name.set(String::new());
                    outcome.set(Outcome::Idle);
                    reload();
                }
                Err(failure) => outcome.set(Outcome::Refused(failure)),
            }
        });
    };
    let revoke = move |id: String| {
        leptos::task::spawn_local(async move {
            let url = ctx.url(&format!("/agents/{}", api::encode(&id)));
            if let Err(failure) = api::delete(&url).await {
                outcome.set(Outcome::Refused(failure));
            }
            reload();
        });
    };
    let agent_rows = move || {
        let words = ctx.words();
        let list = agents.get();
        let none = list
            .is_empty()
            .then(|| view! { <tr><td colspan="3">{words.no_agents}</td></tr> });
        let rows = list.into_iter().map(|agent| {
            let id = agent["id"].as_str().unwrap_or_default().to_owned();
            let agent_name = agent["name"].as_str().unwrap_or_default().to_owned();
            let revoked = agent["revoked_at"].as_str().map(str::to_owned);
            let label = fill(words.revoke_agent, &[("name", &agent_name)]);
            view! {
                <tr>
                    <th scope="row"><bdi>{agent_name}</bdi></th>
                    <td dir="ltr">{agent["created_at"].as_str().unwrap_or_default().chars().take(16).collect::<String>()}</td>
                    <td>{match revoked {
                        Some(at) => fill(words.revoked_on, &[("at", &at.chars().take(10).collect::<String>())]).into_any(),
                        None => view! {
                            <button type="button" aria-label=label on:click=move |_| revoke(id.clone())>{words.revoke}</button>
                        }.into_any(),
                    }}</td>
                </tr>
            }
        }).collect_view();
        view! { {none} {rows} }
    };
    let audit_rows = move || {
        audit.get().into_iter().map(|entry| {
            view! {
                <tr>
                    <td dir="ltr">{entry["at"].as_str().map(str::to_owned).unwrap_or_else(|| entry["at"].to_string())}</td>
                    <td><bdi>{entry["who"].as_str().unwrap_or_default().to_owned()}</bdi></td>
                    <td dir="ltr"><code>{entry["what"].as_str().unwrap_or_default().to_owned()}</code></td>
                    <td class="number">{entry["status"].as_i64().unwrap_or(0)}</td>
                </tr>
            }
        }).collect_view()
    };
    view! {
        <h2>{words().team}</h2>
        <section aria-labelledby="agents-title">
            <h3 id="agents-title">{words().agents}</h3>
            <p class="hint">{words().agents_what}</p>
            <table class="agents">
                <thead><tr>
                    <th scope="col">{words().name}</th>
                    <th scope="col">{words().created}</th>
                    <th scope="col">{words().col_state}</th>
                </tr></thead>
                <tbody>{agent_rows}</tbody>
            </table>
            <form class="settings inline" on:submit=create>
                <div class="field">
                    <label for="agent-name">{words().agent_name}</label>
                    <input id="agent-name" required maxlength="100" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <button type="submit">{words().add_agent}</button>
                <Said outcome />
            </form>
            {move || key.get().map(|key| view! {
                <div class="new-key" role="status">
                    <p>{words().agent_key_once}</p>
                    <p><code dir="ltr" class="key">{key}</code></p>
                </div>
            })}
        </section>
        <section aria-labelledby="audit-title">
            <h3 id="audit-title">{words().audit}</h3>
            <table class="audit">
                <caption>{words().audit_what}</caption>
                <thead><tr>
                    <th scope="col">{words().col_when}</th>
                    <th scope="col">{words().who}</th>
                    <th scope="col">{words().what}</th>
                    <th scope="col">{words().status}</th>
                </tr></thead>
                <tbody>{audit_rows}</tbody>
            </table>
        </section>
    }
}
