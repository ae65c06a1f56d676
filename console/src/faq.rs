//! The shop's FAQ as its customers and help centre read it (the edge
//! writes it from the policy): shown here in any of the three languages,
//! with its public address and its Markdown to copy.

use leptos::prelude::*;

use crate::words::{Lang, fill};
use crate::{Ctx, api};

#[component]
pub fn Faq() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let lang = RwSignal::new(ctx.lang.get_untracked());
    let html = RwSignal::new(None::<Result<String, String>>);
    let markdown = RwSignal::new(String::new());
    Effect::new(move |_| {
        let code = lang.get().code();
        let base = ctx.url(&format!("/faq?lang={code}"));
        leptos::task::spawn_local(async move {
            html.set(Some(
                api::get_text(&base)
                    .await
                    .map_err(|failure| failure.message),
            ));
            markdown.set(
                api::get_text(&format!("{base}&format=markdown"))
                    .await
                    .unwrap_or_default(),
            );
        });
    });
    let origin = web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default();
    let origin = StoredValue::new(origin);
    let public = move || {
        format!(
            "{}{}",
            origin.get_value(),
            ctx.url(&format!("/faq?lang={}", lang.get().code()))
        )
    };
    view! {
        <h2>{words().faq}</h2>
        <p class="hint">{words().faq_what}</p>
        <div class="filters">
            <label>{words().faq_language} " "
                <select on:change=move |ev| if let Some(chosen) = Lang::from_tag(&event_target_value(&ev)) { lang.set(chosen) }>
                    {Lang::ALL.into_iter().map(|option| view! {
                        <option value=option.code() lang=option.code() selected=move || lang.get() == option>{option.name()}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
        <p>{words().faq_public} " " <a href=public target="_blank" rel="noopener" dir="ltr">{public}</a></p>
        {move || match html.get() {
            None => view! { <p role="status">{words().loading}</p> }.into_any(),
            Some(Err(message)) => view! {
                <p class="error" role="alert">{fill(words().failed, &[("message", &message)])}</p>
            }.into_any(),
            // The edge's own fragment, written from the shop's policy with
            // every value escaped.
            Some(Ok(html)) => view! { <div class="faq" inner_html=html></div> }.into_any(),
        }}
        <details>
            <summary>{words().faq_markdown}</summary>
            <pre class="markdown" dir="auto">{move || markdown.get()}</pre>
        </details>
    }
}
