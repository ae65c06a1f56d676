//! The merchant's console and the support agent's desk: a Leptos app of its
//! own, served by the edge at `/console/` (`scripts/build` puts it in the
//! site's assets), so that no product or order page ever downloads it. It
//! talks to the edge's API on the same origin with a session cookie the
//! browser holds; what a role may not do, the API refuses whatever this
//! shows.
//!
//! Pages are addressed in the URL's fragment (`#/orders?…`,
//! `#/orders/{order}`), the shop in its query (`/console/?shop=…`), so that
//! one static page serves them all and a reload keeps the place.

mod api;
mod faq;
mod order;
mod orders;
mod overview;
mod products;
mod settings;
mod team;
mod words;

use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::words::{Lang, Words, fill};

/// Who is signed in, as the edge says.
#[derive(Clone, Debug, PartialEq)]
pub struct Who {
    pub role: String,
    pub name: Option<String>,
}

/// Which page shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// The order list, with its query (`stage=…&q=…`).
    Orders(String),
    /// One order.
    Order(String),
    /// Products and suppliers (the owner's).
    Products,
    /// The shop's FAQ.
    Faq,
    /// Agent keys and the audit log (the owner's).
    Team,
    /// The owner's settings.
    Settings,
    /// "Does selling on backorder pay?", the flags and the suppliers.
    Overview,
}

impl Route {
    fn from_hash(hash: &str) -> Route {
        let path = hash.trim_start_matches('#');
        match path {
            "/products" => return Route::Products,
            "/faq" => return Route::Faq,
            "/team" => return Route::Team,
            "/settings" => return Route::Settings,
            "/overview" => return Route::Overview,
            _ => {}
        }
        if let Some(order) = path.strip_prefix("/orders/") {
            let order = js_sys::decode_uri_component(order)
                .map(String::from)
                .unwrap_or_else(|_| order.to_owned());
            return Route::Order(order);
        }
        let query = path
            .strip_prefix("/orders")
            .and_then(|rest| rest.strip_prefix('?'))
            .unwrap_or_default();
        Route::Orders(query.to_owned())
    }
}

/// What every page reads: the language, the shop, who is signed in, and
/// where we are.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub lang: RwSignal<Lang>,
    pub shop: RwSignal<String>,
    pub who: RwSignal<Option<Who>>,
    /// Whether the edge has been asked who is signed in.
    pub checked: RwSignal<bool>,
    pub route: RwSignal<Route>,
}

impl Ctx {
    pub fn words(&self) -> &'static Words {
        self.lang.get().words()
    }

    pub fn url(&self, rest: &str) -> String {
        api::shop_url(&self.shop.get_untracked(), rest)
    }
}

pub fn go(hash: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(hash);
    }
}

fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
        .filter(|value| !value.is_empty())
}

/// Keeps the shop (and the language) in the page's address, without the
/// fragment that may have carried a key.
fn remember_in_url(shop: &str, lang: Lang, hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let url = format!("?shop={}&lang={}{hash}", api::encode(shop), lang.code());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

fn first_lang() -> Lang {
    query_param("lang")
        .as_deref()
        .and_then(Lang::from_tag)
        .or_else(|| {
            web_sys::window()
                .and_then(|window| window.navigator().language())
                .as_deref()
                .and_then(Lang::from_tag)
        })
        .unwrap_or(Lang::En)
}

fn who_of(answer: &Value) -> Option<Who> {
    Some(Who {
        role: answer["role"].as_str()?.to_owned(),
        name: answer["name"].as_str().map(str::to_owned),
    })
}

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let hash = web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default();
    let ctx = Ctx {
        lang: RwSignal::new(first_lang()),
        shop: RwSignal::new(query_param("shop").unwrap_or_default()),
        who: RwSignal::new(None),
        checked: RwSignal::new(false),
        route: RwSignal::new(Route::from_hash(&hash)),
    };
    provide_context(ctx);
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        let hash = web_sys::window()
            .and_then(|window| window.location().hash().ok())
            .unwrap_or_default();
        ctx.route.set(Route::from_hash(&hash));
    });
    // The page's language and direction follow the console's.
    Effect::new(move |_| {
        let lang = ctx.lang.get();
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            if let Some(root) = document.document_element() {
                let _ = root.set_attribute("lang", lang.code());
                let _ = root.set_attribute("dir", lang.dir());
            }
            document.set_title(lang.words().title);
        }
    });
    // The demo's one click: a key in the fragment signs in, and leaves the
    // address at once; otherwise the edge says whether a session is open.
    let key = hash.strip_prefix("#signin=").map(str::to_owned);
    leptos::task::spawn_local(async move {
        let shop = ctx.shop.get_untracked();
        if let Some(key) = key {
            remember_in_url(&shop, ctx.lang.get_untracked(), "#/orders");
            ctx.route.set(Route::Orders(String::new()));
            if let Ok(answer) = api::sign_in(&shop, &key).await {
                ctx.who.set(who_of(&answer));
            }
        } else if !shop.is_empty()
            && let Ok(answer) = api::get(&api::shop_url(&shop, "/sessions/current")).await
        {
            ctx.who.set(who_of(&answer));
        }
        ctx.checked.set(true);
    });
    // A page is drawn again in a newly chosen language (its words are read
    // once, where it is drawn).
    let main = move || match (
        ctx.checked.get(),
        ctx.who.get(),
        ctx.route.get(),
        ctx.lang.get(),
    ) {
        (false, _, _, _) => view! { <p role="status">{ctx.words().loading}</p> }.into_any(),
        (true, None, _, _) => view! { <SignIn /> }.into_any(),
        (true, Some(_), Route::Orders(query), _) => view! { <orders::Orders query /> }.into_any(),
        (true, Some(_), Route::Order(order), _) => view! { <order::OrderDesk order /> }.into_any(),
        (true, Some(_), Route::Faq, _) => view! { <faq::Faq /> }.into_any(),
        // An agent's console has no link to these; one typed in says so
        // (and the edge would refuse every call they make).
        (true, Some(who), _, _) if who.role != "owner" => {
            view! { <p class="error" role="alert">{ctx.words().owner_only}</p> }.into_any()
        }
        (true, Some(_), Route::Products, _) => view! { <products::Products /> }.into_any(),
        (true, Some(_), Route::Team, _) => view! { <team::Team /> }.into_any(),
        (true, Some(_), Route::Settings, _) => view! { <settings::Settings /> }.into_any(),
        (true, Some(_), Route::Overview, _) => view! { <overview::Overview /> }.into_any(),
    };
    view! {
        <a class="skip" href="#main" on:click=move |ev| {
            ev.prevent_default();
            if let Some(main) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("main"))
            {
                let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&main).focus();
            }
        }>{move || ctx.words().skip}</a>
        <Header />
        <main id="main" tabindex="-1">{main}</main>
    }
}

#[component]
fn Header() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // `aria-current="page"` on the link to where we are.
    let current = move |is: fn(&Route) -> bool| move || ctx.route.with(is).then_some("page");
    let who = move || {
        ctx.who.get().map(|who| {
            let words = ctx.words();
            let label = match who.role.as_str() {
                "owner" => words.owner.to_owned(),
                _ => fill(
                    words.agent,
                    &[("name", who.name.as_deref().unwrap_or_default())],
                ),
            };
            view! {
                <nav aria-label=words.nav_label>
                    <a href="#/orders" aria-current=current(|route| matches!(route, Route::Orders(_) | Route::Order(_)))>{words.orders}</a>
                    {(who.role == "owner").then(|| view! {
                        <a href="#/overview" aria-current=current(|route| *route == Route::Overview)>{words.overview}</a>
                        <a href="#/products" aria-current=current(|route| *route == Route::Products)>{words.products}</a>
                    })}
                    <a href="#/faq" aria-current=current(|route| *route == Route::Faq)>{words.faq}</a>
                    {(who.role == "owner").then(|| view! {
                        <a href="#/team" aria-current=current(|route| *route == Route::Team)>{words.team}</a>
                        <a href="#/settings" aria-current=current(|route| *route == Route::Settings)>{words.settings}</a>
                    })}
                </nav>
                <span class="who" data-role=who.role.clone()>{label}</span>
                <button type="button" class="sign-out" on:click=move |_| {
                    leptos::task::spawn_local(async move {
                        let _ = api::delete(&ctx.url("/sessions/current")).await;
                        ctx.who.set(None);
                    });
                }>{words.sign_out}</button>
            }
        })
    };
    let choose = move |ev: leptos::ev::Event| {
        if let Some(lang) = Lang::from_tag(&event_target_value(&ev)) {
            ctx.lang.set(lang);
            let hash = web_sys::window()
                .and_then(|window| window.location().hash().ok())
                .unwrap_or_default();
            remember_in_url(&ctx.shop.get_untracked(), lang, &hash);
        }
    };
    view! {
        <header>
            <h1>{move || ctx.words().title}</h1>
            {who}
            <label class="lang">
                {move || ctx.words().language} " "
                <select on:change=choose>
                    {Lang::ALL.into_iter().map(|lang| view! {
                        <option value=lang.code() lang=lang.code() selected=move || ctx.lang.get() == lang>
                            {lang.name()}
                        </option>
                    }).collect_view()}
                </select>
            </label>
        </header>
    }
}

#[component]
fn SignIn() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let shop = RwSignal::new(ctx.shop.get_untracked());
    let key = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        failure.set(None);
        let (shop, key) = (shop.get_untracked(), key.get_untracked());
        leptos::task::spawn_local(async move {
            match api::sign_in(&shop, &key).await {
                Ok(answer) => {
                    ctx.shop.set(shop.clone());
                    remember_in_url(&shop, ctx.lang.get_untracked(), "#/orders");
                    ctx.route.set(Route::Orders(String::new()));
                    ctx.who.set(who_of(&answer));
                }
                Err(failed) => failure.set(Some(failed.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="sign-in" aria-labelledby="sign-in-title">
            <h2 id="sign-in-title">{move || ctx.words().sign_in_title}</h2>
            <p>{move || ctx.words().sign_in_what}</p>
            <form on:submit=submit>
                <label for="shop">{move || ctx.words().shop}</label>
                <input id="shop" name="shop" required autocomplete="organization" dir="ltr"
                    prop:value=shop on:input=move |ev| shop.set(event_target_value(&ev)) />
                <label for="key">{move || ctx.words().key}</label>
                <input id="key" name="key" type="password" required autocomplete="current-password" dir="ltr"
                    aria-describedby="key-hint"
                    prop:value=key on:input=move |ev| key.set(event_target_value(&ev)) />
                <p id="key-hint" class="hint">{move || ctx.words().key_hint}</p>
                <button type="submit" disabled=busy>
                    {move || if busy.get() { ctx.words().signing_in } else { ctx.words().sign_in }}
                </button>
                {move || failure.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            </form>
        </section>
    }
}
