//! The owner's settings: the policy (each refused field's reason beside
//! it), the banner, the mail provider with a test email, the templates
//! with a live preview, the webhook addresses and secrets for each store,
//! and the API key's rotation. An agent never reaches this page: the
//! console hides it, and the edge refuses every call it makes (403).

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::Ctx;
use crate::api::{self, Failure};
use crate::words::fill;

/// Where a form stands after its last request.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Idle,
    Busy,
    Done(String),
    Refused(Failure),
}

impl Outcome {
    /// The refusal's reason, when it names `field`.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            Outcome::Refused(failure) if failure.field.as_deref() == Some(field) => {
                Some(failure.message.clone())
            }
            _ => None,
        }
    }
}

/// What a form says under its button: done, or refused (for a field it
/// does not show, or none).
#[component]
pub fn Said(
    outcome: RwSignal<Outcome>,
    #[prop(optional)] fields: &'static [&'static str],
) -> impl IntoView {
    move || match outcome.get() {
        Outcome::Done(message) => {
            Some(view! { <p class="done" role="status">{message}</p> }.into_any())
        }
        Outcome::Refused(failure)
            if !failure
                .field
                .as_deref()
                .is_some_and(|field| fields.contains(&field)) =>
        {
            Some(view! { <p class="error" role="alert">{failure.message}</p> }.into_any())
        }
        _ => None,
    }
}

/// A labelled input whose refusal shows beside it.
#[component]
pub fn Field(
    id: &'static str,
    label: Signal<String>,
    value: Signal<String>,
    set: Callback<String>,
    outcome: RwSignal<Outcome>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] ltr: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let error = move || outcome.get().for_field(id);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type=kind dir=ltr.then_some("ltr")
                aria-invalid=move || error().is_some().then_some("true")
                aria-describedby=error_id.clone()
                prop:value=value
                on:input=move |ev| set.run(event_target_value(&ev)) />
            <span id=error_id class="error">{error}</span>
        </div>
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    view! {
        <h2>{move || ctx.words().settings}</h2>
        <Policy />
        <BannerForm />
        <Mail />
        <Templates />
        <Webhooks />
        <KeyRotation />
    }
}

/// The policy as the edge keeps it (the merchant's raw form), edited in
/// place and sent whole.
#[component]
fn Policy() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let policy = RwSignal::new(None::<Value>);
    let outcome = RwSignal::new(Outcome::Idle);
    leptos::task::spawn_local(async move {
        match api::get(&ctx.url("/policy")).await {
            Ok(answer) => policy.set(Some(answer)),
            Err(failure) => outcome.set(Outcome::Refused(failure)),
        }
    });
    let number = move |key: &'static str| {
        let value =
            Signal::derive(move || policy.get().map(|p| p[key].to_string()).unwrap_or_default());
        let set = Callback::new(move |text: String| {
            policy.update(|p| {
                if let Some(p) = p {
                    // What does not read as a number goes as text, and the
                    // edge names the field.
                    p[key] = text.trim().parse::<i64>().map_or(json!(text), |n| json!(n));
                }
            })
        });
        (value, set)
    };
    let text = move |key: &'static str| {
        let value = Signal::derive(move || {
            policy
                .get()
                .and_then(|p| p[key].as_str().map(str::to_owned))
                .unwrap_or_default()
        });
        let set = Callback::new(move |text: String| {
            policy.update(|p| {
                if let Some(p) = p {
                    p[key] = json!(text);
                }
            })
        });
        (value, set)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(body) = policy.get_untracked() else {
            return;
        };
        outcome.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            outcome.set(match api::put(&ctx.url("/policy"), &body).await {
                Ok(_) => Outcome::Done(ctx.words().saved.to_owned()),
                Err(failure) => Outcome::Refused(failure),
            });
        });
    };
    let words = move || ctx.words();
    let numbers = [
        ("store_credit_bonus_percent", words().bonus),
        ("nurture_every_days", words().nurture_days),
        ("offer_lifetime_days", words().offer_days),
        ("follow_up_after_days", words().follow_up_days),
        ("transit_days_min", words().transit_min),
        ("transit_days_max", words().transit_max),
    ];
    let option = move |key: &'static str, label: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox"
                    prop:checked=move || policy.get().is_some_and(|p| p["options"][key] != json!(false))
                    on:change=move |ev| policy.update(|p| if let Some(p) = p {
                        p["options"][key] = json!(event_target_checked(&ev));
                    }) />
                {label}
            </label>
        }
    };
    let rule = move || {
        policy
            .get()
            .map_or("auto", |p| match p["us_mail_order_rule"].as_bool() {
                Some(true) => "on",
                Some(false) => "off",
                None => "auto",
            })
    };
    let alternatives = Signal::derive(move || {
        policy
            .get()
            .map(|p| serde_json::to_string_pretty(&p["alternatives"]).unwrap_or_default())
            .unwrap_or_default()
    });
    view! {
        <section aria-labelledby="policy-title">
            <h3 id="policy-title">{words().policy}</h3>
            {move || policy.get().is_none().then(|| view! { <p role="status">{words().loading}</p> })}
            <form class="settings" on:submit=submit>
                <fieldset aria-describedby="options-error">
                    <legend>{words().options}</legend>
                    {option("keep_waiting", words().opt_keep_waiting)}
                    {option("switch_item", words().opt_switch_item)}
                    {option("ship_available_now", words().opt_ship_now)}
                    {option("store_credit", words().opt_store_credit)}
                    {option("cancel", words().opt_cancel)}
                    <span id="options-error" class="error">{move || outcome.get().for_field("options")}</span>
                </fieldset>
                <label class="check">
                    <input type="checkbox"
                        prop:checked=move || policy.get().is_some_and(|p| p["free_expedited_shipping"] == json!(true))
                        on:change=move |ev| policy.update(|p| if let Some(p) = p {
                            p["free_expedited_shipping"] = json!(event_target_checked(&ev));
                        }) />
                    {words().free_expedited}
                </label>
                {numbers.into_iter().map(|(key, label)| {
                    let (value, set) = number(key);
                    view! { <Field id=key label=Signal::derive(move || label.to_owned()) value set outcome kind="number" /> }
                }).collect_view()}
                <div class="field">
                    <label for="locale">{words().shop_language}</label>
                    <select id="locale" on:change=move |ev| policy.update(|p| if let Some(p) = p {
                        p["locale"] = json!(event_target_value(&ev));
                    })>
                        {crate::words::Lang::ALL.into_iter().map(|lang| view! {
                            <option value=lang.code() lang=lang.code()
                                selected=move || policy.get().is_some_and(|p| p["locale"] == json!(lang.code()))>
                                {lang.name()}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
                {
                    let (value, set) = text("country");
                    view! { <Field id="country" label=Signal::derive(move || words().country.to_owned()) value set outcome ltr=true /> }
                }
                {
                    let (value, set) = text("time_zone");
                    view! { <Field id="time_zone" label=Signal::derive(move || words().time_zone.to_owned()) value set outcome ltr=true /> }
                }
                <div class="field">
                    <label for="us_mail_order_rule">{words().us_rule}</label>
                    <select id="us_mail_order_rule" aria-describedby="us-rule-hint" on:change=move |ev| policy.update(|p| if let Some(p) = p {
                        p["us_mail_order_rule"] = match event_target_value(&ev).as_str() {
                            "on" => json!(true),
                            "off" => json!(false),
                            _ => Value::Null,
                        };
                    })>
                        <option value="auto" selected=move || rule() == "auto">{words().us_rule_auto}</option>
                        <option value="on" selected=move || rule() == "on">{words().us_rule_on}</option>
                        <option value="off" selected=move || rule() == "off">{words().us_rule_off}</option>
                    </select>
                    <span id="us-rule-hint" class="hint">{words().us_rule_hint}</span>
                </div>
                <div class="field wide">
                    <label for="alternatives">{words().alternatives}</label>
                    <textarea id="alternatives" rows="5" dir="ltr" spellcheck="false"
                        aria-describedby="alternatives-hint alternatives-error"
                        aria-invalid=move || outcome.get().for_field("alternatives").is_some().then_some("true")
                        prop:value=alternatives
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            match serde_json::from_str::<Value>(&text) {
                                Ok(list) => policy.update(|p| if let Some(p) = p { p["alternatives"] = list; }),
                                Err(err) => outcome.set(Outcome::Refused(Failure::here(
                                    "invalid_input",
                                    err.to_string(),
                                    Some("alternatives"),
                                ))),
                            }
                        }></textarea>
                    <span id="alternatives-hint" class="hint">{words().alternatives_hint}</span>
                    <span id="alternatives-error" class="error">{move || outcome.get().for_field("alternatives")}</span>
                </div>
                <button type="submit" disabled=move || outcome.get() == Outcome::Busy || policy.get().is_none()>
                    {words().save_policy}
                </button>
                <Said outcome fields=&["options", "store_credit_bonus_percent", "nurture_every_days",
                    "offer_lifetime_days", "follow_up_after_days", "transit_days_min", "transit_days_max",
                    "country", "time_zone", "alternatives"] />
            </form>
        </section>
    }
}

/// The site-wide banner: its words per language and its last day.
#[component]
fn BannerForm() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let messages = RwSignal::new([String::new(), String::new(), String::new()]);
    let ends_on = RwSignal::new(String::new());
    let on = RwSignal::new(false);
    let outcome = RwSignal::new(Outcome::Idle);
    leptos::task::spawn_local(async move {
        if let Ok(banner) = api::get(&ctx.url("/banner")).await
            && let Some(set) = banner.get("messages").filter(|m| m.is_object())
        {
            let text = |code: &str| set[code].as_str().unwrap_or_default().to_owned();
            messages.set([text("en"), text("it"), text("ar")]);
            ends_on.set(banner["ends_on"].as_str().unwrap_or_default().to_owned());
            on.set(true);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let [en, it, ar] = messages.get_untracked();
        let mut set = serde_json::Map::new();
        for (code, text) in [("en", en), ("it", it), ("ar", ar)] {
            if !text.trim().is_empty() {
                set.insert(code.into(), json!(text));
            }
        }
        let body = json!({ "messages": set, "ends_on": ends_on.get_untracked() });
        outcome.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            outcome.set(match api::put(&ctx.url("/banner"), &body).await {
                Ok(_) => {
                    on.set(true);
                    Outcome::Done(ctx.words().banner_on.to_owned())
                }
                Err(failure) => Outcome::Refused(failure),
            });
        });
    };
    let turn_off = move |_| {
        leptos::task::spawn_local(async move {
            outcome.set(match api::delete(&ctx.url("/banner")).await {
                Ok(_) => {
                    on.set(false);
                    Outcome::Done(ctx.words().banner_off.to_owned())
                }
                Err(failure) => Outcome::Refused(failure),
            });
        });
    };
    view! {
        <section aria-labelledby="banner-title">
            <h3 id="banner-title">{words().banner}</h3>
            <p class="hint">{words().banner_what}</p>
            <form class="settings" on:submit=submit>
                {crate::words::Lang::ALL.into_iter().enumerate().map(|(index, lang)| {
                    let id = ["banner-en", "banner-it", "banner-ar"][index];
                    view! {
                        <div class="field wide">
                            <label for=id>{lang.name()}</label>
                            <input id=id lang=lang.code() dir=lang.dir() maxlength="280"
                                prop:value=move || messages.get()[index].clone()
                                on:input=move |ev| messages.update(|m| m[index] = event_target_value(&ev)) />
                        </div>
                    }
                }).collect_view()}
                {
                    let value = Signal::derive(move || ends_on.get());
                    let set = Callback::new(move |text: String| ends_on.set(text));
                    view! { <Field id="ends_on" label=Signal::derive(move || words().banner_ends.to_owned()) value set outcome kind="date" /> }
                }
                <div class="buttons">
                    <button type="submit">{words().banner_save}</button>
                    {move || on.get().then(|| view! {
                        <button type="button" on:click=turn_off>{words().banner_turn_off}</button>
                    })}
                </div>
                <Said outcome fields=&["ends_on"] />
            </form>
        </section>
    }
}

/// The mail provider, its key (never shown back) and the sender; a test
/// email through it.
#[component]
fn Mail() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let provider = RwSignal::new("outbox".to_owned());
    let api_key = RwSignal::new(String::new());
    let has_key = RwSignal::new(false);
    let from_email = RwSignal::new(String::new());
    let from_name = RwSignal::new(String::new());
    let outcome = RwSignal::new(Outcome::Idle);
    let test_to = RwSignal::new(String::new());
    let tested = RwSignal::new(Outcome::Idle);
    leptos::task::spawn_local(async move {
        if let Ok(mail) = api::get(&ctx.url("/mail")).await {
            let text = |name: &str| mail[name].as_str().unwrap_or_default().to_owned();
            provider.set(text("provider"));
            from_email.set(text("from_email"));
            from_name.set(text("from_name"));
            has_key.set(mail["has_api_key"] == json!(true));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = json!({
            "provider": provider.get_untracked(),
            "from_email": from_email.get_untracked(),
            "from_name": from_name.get_untracked(),
        });
        let key = api_key.get_untracked();
        if !key.is_empty() {
            body["api_key"] = json!(key);
        }
        outcome.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            outcome.set(match api::put(&ctx.url("/mail"), &body).await {
                Ok(answer) => {
                    has_key.set(answer["has_api_key"] == json!(true));
                    api_key.set(String::new());
                    Outcome::Done(ctx.words().saved.to_owned())
                }
                Err(failure) => Outcome::Refused(failure),
            });
        });
    };
    let test = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body =
            json!({ "to": test_to.get_untracked(), "locale": ctx.lang.get_untracked().code() });
        tested.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            tested.set(match api::post(&ctx.url("/mail/test"), &body).await {
                Ok(answer) => {
                    let words = ctx.words();
                    let provider = answer["provider"].as_str().unwrap_or_default();
                    match answer["outcome"].as_str() {
                        Some("sent") => Outcome::Done(fill(
                            words.test_sent,
                            &[
                                ("provider", provider),
                                ("id", answer["message_id"].as_str().unwrap_or("–")),
                            ],
                        )),
                        _ => Outcome::Refused(Failure::here(
                            "not_sent",
                            fill(
                                words.test_not_sent,
                                &[
                                    ("provider", provider),
                                    ("reason", answer["reason"].as_str().unwrap_or_default()),
                                ],
                            ),
                            None,
                        )),
                    }
                }
                Err(failure) => Outcome::Refused(failure),
            });
        });
    };
    let field = move |id: &'static str,
                      label: fn(&crate::words::Words) -> &'static str,
                      signal: RwSignal<String>,
                      kind: &'static str| {
        let value = Signal::derive(move || signal.get());
        let set = Callback::new(move |text: String| signal.set(text));
        view! { <Field id label=Signal::derive(move || label(ctx.words()).to_owned()) value set outcome kind ltr=true /> }
    };
    view! {
        <section aria-labelledby="mail-title">
            <h3 id="mail-title">{words().mail}</h3>
            <form class="settings" on:submit=submit>
                <div class="field">
                    <label for="provider">{words().provider}</label>
                    <select id="provider" on:change=move |ev| provider.set(event_target_value(&ev))>
                        {[("outbox", words().provider_outbox), ("resend", "Resend"), ("postmark", "Postmark"), ("sendgrid", "SendGrid")]
                            .into_iter().map(|(code, name)| view! {
                                <option value=code selected=move || provider.get() == code>{name}</option>
                            }).collect_view()}
                    </select>
                </div>
                {field("api_key", |w| w.provider_key, api_key, "password")}
                <p class="hint">{move || if has_key.get() { words().key_kept } else { words().key_none }}</p>
                {field("from_email", |w| w.from_email, from_email, "email")}
                {field("from_name", |w| w.from_name, from_name, "text")}
                <button type="submit">{words().save_mail}</button>
                <Said outcome fields=&["api_key", "from_email", "from_name"] />
            </form>
            <form class="settings inline" on:submit=test>
                <div class="field">
                    <label for="test-to">{words().test_to}</label>
                    <input id="test-to" type="email" required dir="ltr" autocomplete="email"
                        prop:value=move || test_to.get() on:input=move |ev| test_to.set(event_target_value(&ev)) />
                </div>
                <button type="submit" disabled=move || tested.get() == Outcome::Busy>{words().send_test}</button>
                <Said outcome=tested />
            </form>
        </section>
    }
}

/// The kinds of email a template may be written for.
const KINDS: [&str; 13] = [
    "receipt",
    "restocked",
    "processed",
    "shipped",
    "follow_up",
    "win_back",
    "nurture",
    "delay_notice",
    "choice_confirmed",
    "cancelled",
    "order_link",
    "watch_confirm",
    "back_in_stock",
];

/// One template in one language, with the email it writes beside it,
/// redrawn as the merchant types; a template the edge refuses shows its
/// line.
#[component]
fn Templates() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let locale = RwSignal::new(ctx.lang.get_untracked().code().to_owned());
    let kind = RwSignal::new("receipt".to_owned());
    let format = RwSignal::new("html".to_owned());
    let source = RwSignal::new(String::new());
    let own = RwSignal::new(false);
    let preview = RwSignal::new(None::<Value>);
    let refused = RwSignal::new(None::<Failure>);
    let outcome = RwSignal::new(Outcome::Idle);
    let drafts = StoredValue::new(0u32);
    let name = move || format!("{}.{}", kind.get_untracked(), format.get_untracked());
    let draw = move || {
        let body = json!({
            "kind": kind.get_untracked(),
            "locale": locale.get_untracked(),
            "name": name(),
            "source": source.get_untracked(),
        });
        leptos::task::spawn_local(async move {
            match api::post(&ctx.url("/emails/preview"), &body).await {
                Ok(answer) => {
                    preview.set(Some(answer));
                    refused.set(None);
                }
                Err(failure) => refused.set(Some(failure)),
            }
        });
    };
    let load = move || {
        let url = ctx.url(&format!(
            "/templates/{}/{}",
            locale.get_untracked(),
            api::encode(&name())
        ));
        leptos::task::spawn_local(async move {
            if let Ok(answer) = api::get(&url).await {
                source.set(answer["source"].as_str().unwrap_or_default().to_owned());
                own.set(answer["overridden"] == json!(true));
                outcome.set(Outcome::Idle);
                draw();
            }
        });
    };
    load();
    // Redrawn a moment after the last keystroke, not at each one.
    let typed = move |ev: leptos::ev::Event| {
        source.set(event_target_value(&ev));
        let draft = drafts.get_value() + 1;
        drafts.set_value(draft);
        set_timeout(
            move || {
                if drafts.get_value() == draft {
                    draw();
                }
            },
            std::time::Duration::from_millis(300),
        );
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = ctx.url(&format!(
            "/templates/{}/{}",
            locale.get_untracked(),
            api::encode(&name())
        ));
        let body = json!({ "source": source.get_untracked() });
        outcome.set(Outcome::Busy);
        leptos::task::spawn_local(async move {
            match api::put(&url, &body).await {
                Ok(_) => {
                    own.set(true);
                    refused.set(None);
                    outcome.set(Outcome::Done(ctx.words().template_saved.to_owned()));
                }
                Err(failure) => {
                    refused.set(Some(failure));
                    outcome.set(Outcome::Idle);
                }
            }
        });
    };
    let reset = move |_| {
        let url = ctx.url(&format!(
            "/templates/{}/{}",
            locale.get_untracked(),
            api::encode(&name())
        ));
        leptos::task::spawn_local(async move {
            if api::delete(&url).await.is_ok() {
                load();
            }
        });
    };
    let refusal = move || {
        refused.get().map(|failure| {
            let text = match (failure.template, failure.line) {
                (Some(template), Some(line)) => fill(
                    ctx.words().template_refused_line,
                    &[
                        ("template", &template),
                        ("line", &line.to_string()),
                        ("reason", &failure.message),
                    ],
                ),
                _ => failure.message,
            };
            view! { <p class="error refused" role="alert">{text}</p> }
        })
    };
    let shown = move || {
        preview.get().map(|answer| {
            let subject = answer["subject"].as_str().unwrap_or_default().to_owned();
            let body = match format.get() == "html" {
                true => {
                    let html = answer["html"].as_str().unwrap_or_default().to_owned();
                    view! { <iframe class="preview" sandbox="" srcdoc=html title=ctx.words().preview_frame></iframe> }.into_any()
                }
                false => view! { <pre class="preview">{answer["text"].as_str().unwrap_or_default().to_owned()}</pre> }.into_any(),
            };
            view! { <p class="subject"><strong>{ctx.words().subject}</strong> " " <bdi>{subject}</bdi></p> {body} }
        })
    };
    let pick = move |signal: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            signal.set(event_target_value(&ev));
            load();
        }
    };
    view! {
        <section aria-labelledby="templates-title">
            <h3 id="templates-title">{words().templates}</h3>
            <div class="filters">
                <label>{words().template_language} " "
                    <select on:change=pick(locale)>
                        {crate::words::Lang::ALL.into_iter().map(|lang| view! {
                            <option value=lang.code() lang=lang.code() selected=move || locale.get() == lang.code()>{lang.name()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{words().template_kind} " "
                    <select on:change=pick(kind)>
                        {KINDS.into_iter().map(|code| view! {
                            <option value=code selected=move || kind.get() == code>{code}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{words().template_format} " "
                    <select on:change=pick(format)>
                        <option value="html" selected=move || format.get() == "html">"HTML"</option>
                        <option value="txt" selected=move || format.get() == "txt">{words().plain_text}</option>
                    </select>
                </label>
            </div>
            <div class="editor">
                <form on:submit=save>
                    <label for="template-source">{move || fill(ctx.words().template_source, &[("name", &format!("{}.{}", kind.get(), format.get()))])}</label>
                    <textarea id="template-source" rows="22" dir="ltr" spellcheck="false"
                        aria-describedby="template-state"
                        prop:value=move || source.get() on:input=typed></textarea>
                    <p id="template-state" class="hint">{move || if own.get() { words().template_own } else { words().template_ours }}</p>
                    {refusal}
                    <div class="buttons">
                        <button type="submit">{words().template_save}</button>
                        {move || own.get().then(|| view! { <button type="button" on:click=reset>{words().template_reset}</button> })}
                    </div>
                    <Said outcome />
                </form>
                <div class="preview-pane" aria-live="polite">
                    <h4>{words().preview}</h4>
                    {shown}
                </div>
            </div>
        </section>
    }
}

/// Where each store sends its webhooks, and the secret it signs them with.
#[component]
fn Webhooks() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let set = RwSignal::new(Value::Null);
    leptos::task::spawn_local(async move {
        // With the trailing slash: the session's cookie is for the paths
        // under the shop's.
        if let Ok(summary) = api::get(&ctx.url("/")).await {
            set.set(summary["webhook_secrets"].clone());
        }
    });
    let origin = web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default();
    let sources = [
        ("shopify", "Shopify", words().where_shopify),
        ("woocommerce", "WooCommerce", words().where_woocommerce),
        (
            "standard",
            words().standard_webhooks,
            words().where_standard,
        ),
    ];
    view! {
        <section aria-labelledby="webhooks-title">
            <h3 id="webhooks-title">{words().webhooks}</h3>
            {sources.into_iter().map(|(source, store, hint)| {
                let url = format!("{origin}{}", ctx.url(&format!("/webhooks/{source}")));
                view! { <Webhook source store hint url set /> }
            }).collect_view()}
        </section>
    }
}

#[component]
fn Webhook(
    source: &'static str,
    store: &'static str,
    hint: &'static str,
    url: String,
    set: RwSignal<Value>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let secret = RwSignal::new(String::new());
    let outcome = RwSignal::new(Outcome::Idle);
    let url_id = format!("url-{source}");
    let secret_id = format!("secret-{source}");
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({ "secret": secret.get_untracked() });
        leptos::task::spawn_local(async move {
            outcome.set(
                match api::put(&ctx.url(&format!("/webhook-secrets/{source}")), &body).await {
                    Ok(_) => {
                        secret.set(String::new());
                        set.update(|set| set[source] = json!(true));
                        Outcome::Done(ctx.words().secret_saved.to_owned())
                    }
                    Err(failure) => Outcome::Refused(failure),
                },
            );
        });
    };
    let copied = RwSignal::new(false);
    let copy_url = url.clone();
    view! {
        <form class="settings webhook" on:submit=submit data-source=source>
            <h4>{store}</h4>
            <p class="hint">{hint}</p>
            <div class="field wide">
                <label for=url_id.clone()>{words().webhook_url}</label>
                <div class="copy">
                    <input id=url_id readonly dir="ltr" prop:value=url />
                    <button type="button" on:click=move |_| {
                        if let Some(window) = web_sys::window() {
                            let _ = window.navigator().clipboard().write_text(&copy_url);
                            copied.set(true);
                        }
                    }>{move || if copied.get() { words().copied } else { words().copy }}</button>
                </div>
            </div>
            <div class="field wide">
                <label for=secret_id.clone()>{words().webhook_secret}</label>
                <input id=secret_id type="password" dir="ltr" autocomplete="off" required
                    prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev)) />
                <span class="hint">{move || if set.get()[source] == json!(true) { words().secret_set } else { words().secret_unset }}</span>
            </div>
            <button type="submit">{words().save_secret}</button>
            <Said outcome />
        </form>
    }
}

/// A new API key: shown once; every session (this one too) ends.
#[component]
fn KeyRotation() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let words = move || ctx.words();
    let asked = RwSignal::new(false);
    let key = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(Outcome::Idle);
    let rotate = move |_| {
        leptos::task::spawn_local(async move {
            match api::post_empty(&ctx.url("/api-key")).await {
                Ok(answer) => key.set(answer["api_key"].as_str().map(str::to_owned)),
                Err(failure) => outcome.set(Outcome::Refused(failure)),
            }
            asked.set(false);
        });
    };
    view! {
        <section aria-labelledby="key-title">
            <h3 id="key-title">{words().api_key}</h3>
            <p class="hint">{words().rotate_what}</p>
            {move || match (key.get(), asked.get()) {
                (Some(key), _) => view! {
                    <div class="new-key" role="status">
                        <p>{words().new_key_once}</p>
                        <p><code dir="ltr" class="key">{key}</code></p>
                        <button type="button" on:click=move |_| ctx.who.set(None)>{words().sign_in_again}</button>
                    </div>
                }.into_any(),
                (None, false) => view! {
                    <button type="button" class="rotate" on:click=move |_| asked.set(true)>{words().rotate}</button>
                }.into_any(),
                (None, true) => view! {
                    <p class="error">{words().rotate_sure}</p>
                    <div class="buttons">
                        <button type="button" class="rotate-yes" on:click=rotate>{words().rotate_yes}</button>
                        <button type="button" on:click=move |_| asked.set(false)>{words().cancel}</button>
                    </div>
                }.into_any(),
            }}
            <Said outcome />
        </section>
    }
}
