//! Order pages: `<div data-backorder-order="ORDER" data-token="…">` shows the
//! order's status as a timeline, its ship range, what happened after a slip,
//! and the open offer's options, chosen in one click.
//!
//! The loader (`widget/loader/order.js`) owns the connection: it reads the
//! order's view, keeps a WebSocket to the order's Durable Object (falling
//! back to polling, reconnecting with backoff) and hands every view it gets
//! to [`OrderPage::update`]. This module draws, pops up what changed, and
//! posts the customer's choice.
//!
//! The page is drawn from its state (`Ui`) as a static Leptos view, drawn
//! again whenever the state changes, the focus carried over by key: the
//! same approach as the product notice, and it keeps Leptos's reactive
//! system out of the module (measured: 99 KB gzip with signals, see the
//! closing note of issue 9). The pop-up's live region is made once and
//! stays, so that screen readers announce what is put into it.

mod decode;
mod page;
mod popup;

use std::cell::RefCell;
use std::rc::Rc;

use leptos::mount::{UnmountHandle, mount_to};
use leptos::prelude::*;
use shared::lifecycle::{Choice, OfferId, OrderView, RejectionCode};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlElement;

use crate::json::{self, field};
use crate::words::Speech;
use crate::{page_lang, shadow_container};

/// What the customer's last click came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Saving,
    Recorded,
    /// The offer had been answered already (in another tab, say).
    AlreadyChosen(Option<Choice>),
    /// The offer lapsed or was withdrawn before the click reached us.
    Closed,
    /// The edge could not be reached, or failed: nothing changed.
    Failed,
}

/// Everything the page shows.
#[derive(Clone, Debug, Default)]
pub struct Ui {
    pub view: Option<OrderView>,
    /// What changed with the last update, until dismissed.
    pub popup: Option<String>,
    pub answer: Option<Answer>,
    /// The cancel option asks once more.
    pub confirming: bool,
    pub offline: bool,
}

/// Where the order lives on the edge, and the customer's token.
#[derive(Clone, Debug)]
struct Link {
    base: String,
    query: String,
}

type Mounted = UnmountHandle<<AnyView as leptos::tachys::view::Render>::State>;

struct Inner {
    ui: RefCell<Ui>,
    page_lang: Option<String>,
    link: Link,
    /// The page's own part of the shadow root, drawn again on each change.
    body: HtmlElement,
    /// The pop-up's live region, made once.
    region: HtmlElement,
    mounted: RefCell<Option<Mounted>>,
    popup_mounted: RefCell<Option<Mounted>>,
    /// Where the focus goes after the next drawing, if not where it was.
    focus: RefCell<Option<&'static str>>,
}

impl Inner {
    /// The page's language if the widget speaks it, else the shop's.
    fn speech(&self, view: Option<&OrderView>) -> Speech {
        Speech::choose(
            self.page_lang.as_deref(),
            view.and_then(|view| view.locale.as_deref()),
        )
    }
}

/// One order page, mounted into its host. The loader keeps it.
#[wasm_bindgen]
pub struct OrderPage(Rc<Inner>);

impl std::fmt::Debug for OrderPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderPage").finish_non_exhaustive()
    }
}

/// Mounts an order page into `host`; `base` is the order's URL on the edge
/// and `query` carries the customer's token (`?t=…`). `None` when the host
/// was mounted before. The merchant's own content shows through until the
/// first view arrives.
#[wasm_bindgen]
pub fn mount_order(host: HtmlElement, base: String, query: String) -> Option<OrderPage> {
    let container = shadow_container(&host)?;
    let document = host.owner_document()?;
    let element = |tag: &str| {
        document
            .create_element(tag)
            .ok()?
            .dyn_into::<HtmlElement>()
            .ok()
    };
    let style = element("style")?;
    style.set_text_content(Some(page::STYLE));
    let body = element("div")?;
    let region = element("div")?;
    region.set_class_name("popup-region");
    region.set_attribute("role", "status").ok()?;
    region.set_attribute("aria-live", "polite").ok()?;
    let slot = element("slot")?;
    body.append_child(&slot).ok()?;
    for child in [&style, &body, &region] {
        container.append_child(child).ok()?;
    }
    let inner = Rc::new(Inner {
        ui: RefCell::new(Ui::default()),
        page_lang: page_lang(&host),
        link: Link { base, query },
        body,
        region,
        mounted: RefCell::new(None),
        popup_mounted: RefCell::new(None),
        focus: RefCell::new(None),
    });
    Some(OrderPage(inner))
}

/// The words of the expired-link box, in the language of `host`'s page
/// (else English), for the loader, which draws that box itself (as a Leptos
/// view it cost the module 4 KB gzip): `[lang, dir, refused, how, label,
/// button, sent, failed]`.
#[wasm_bindgen]
pub fn relink_words(host: &HtmlElement) -> js_sys::Array {
    let speech = Speech::choose(page_lang(host).as_deref(), None);
    let words = speech.order();
    [
        speech.lang(),
        speech.dir(),
        words.answer_invalid_link,
        words.new_link_how,
        words.new_link_label,
        words.new_link_button,
        words.new_link_sent,
        words.failed,
    ]
    .into_iter()
    .map(JsValue::from_str)
    .collect()
}

#[wasm_bindgen]
impl OrderPage {
    /// Takes a view the edge sent (JSON text). An older or unreadable one is
    /// ignored; a newer one is shown, with a pop-up saying what changed.
    /// Returns whether it was shown.
    pub fn update(&self, text: &str) -> bool {
        let Some(view) = decode::view(text) else {
            return false;
        };
        take(&self.0, view)
    }

    /// Whether the page still hears from the edge; while it does not, the
    /// page keeps what it showed and says that updates are paused.
    pub fn online(&self, online: bool) {
        let changed = {
            let mut ui = self.0.ui.borrow_mut();
            let changed = ui.offline == online;
            ui.offline = !online;
            changed
        };
        if changed && self.0.ui.borrow().view.is_some() {
            redraw(&self.0);
        }
    }
}

/// Shows `view` if it is newer than the one shown; the first view shows
/// quietly, a later one pops up what it added to the timeline.
fn take(inner: &Rc<Inner>, view: OrderView) -> bool {
    let popup = {
        let ui = inner.ui.borrow();
        match &ui.view {
            Some(old) if view.seq <= old.seq => return false,
            Some(old) => popup::news(&view, old.timeline.len(), &inner.speech(Some(&view))),
            None => None,
        }
    };
    {
        let mut ui = inner.ui.borrow_mut();
        ui.view = Some(view);
        if popup.is_some() {
            ui.popup = popup.clone();
        }
    }
    redraw(inner);
    if popup.is_some() {
        redraw_popup(inner);
    }
    true
}

/// Changes the state and draws the page again (after the current event has
/// run: its handler belongs to the view being replaced).
fn change(inner: &Rc<Inner>, focus: Option<&'static str>, edit: impl FnOnce(&mut Ui)) {
    edit(&mut inner.ui.borrow_mut());
    if focus.is_some() {
        *inner.focus.borrow_mut() = focus;
    }
    let inner = Rc::clone(inner);
    request_animation_frame(move || redraw(&inner));
}

/// Draws the page from its state, keeping the focus where it was (by its
/// `data-key`) unless a change asked for it elsewhere.
fn redraw(inner: &Rc<Inner>) {
    let ui = inner.ui.borrow().clone();
    let Some(view) = ui.view.clone() else {
        return;
    };
    let root = inner.body.get_root_node();
    let shadow = root.dyn_ref::<web_sys::ShadowRoot>();
    let kept = shadow
        .and_then(|shadow| shadow.active_element())
        .and_then(|active| active.get_attribute("data-key"));
    let speech = inner.speech(Some(&view));
    let actions = Actions(Rc::clone(inner));
    let body = inner.body.clone();
    // The old drawing goes first (with the merchant's slot the first time).
    inner.mounted.borrow_mut().take();
    body.set_inner_html("");
    let handle = mount_to(body, move || page::page(&ui, &speech, actions).into_any());
    *inner.mounted.borrow_mut() = Some(handle);
    let wanted = inner.focus.borrow_mut().take().map(str::to_owned).or(kept);
    if let (Some(key), Some(shadow)) = (wanted, shadow)
        && let Ok(Some(element)) = shadow.query_selector(&format!("[data-key=\"{key}\"]"))
        && let Ok(element) = element.dyn_into::<HtmlElement>()
    {
        let _ = element.focus();
    }
}

/// Draws the pop-up into its live region, or empties it.
fn redraw_popup(inner: &Rc<Inner>) {
    let ui = inner.ui.borrow().clone();
    let speech = inner.speech(ui.view.as_ref());
    inner.popup_mounted.borrow_mut().take();
    inner.region.set_inner_html("");
    let Some(news) = ui.popup else {
        return;
    };
    let _ = inner.region.set_attribute("lang", speech.lang());
    let _ = inner.region.set_attribute("dir", speech.dir());
    let actions = Actions(Rc::clone(inner));
    let handle = mount_to(inner.region.clone(), move || {
        page::popup(&news, &speech, actions).into_any()
    });
    *inner.popup_mounted.borrow_mut() = Some(handle);
}

/// What the page's buttons do.
#[derive(Clone)]
pub struct Actions(Rc<Inner>);

impl std::fmt::Debug for Actions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actions").finish_non_exhaustive()
    }
}

impl Actions {
    pub fn choose(&self, offer: OfferId, choice: Choice) {
        let link = self.0.link.clone();
        self.record(async move { post_choice(&link, offer, &choice).await });
    }

    /// Cancels what has not shipped, whatever was chosen before.
    pub fn cancel_rest(&self) {
        let url = format!("{}/cancel{}", self.0.link.base, self.0.link.query);
        self.record(async move {
            match send(&url, "").await {
                Some((200, text)) => (Answer::Recorded, decode::view(&text)),
                _ => (Answer::Failed, None),
            }
        });
    }

    /// Says the click is being recorded, then shows what came of it (and
    /// the view it brought, if newer). One click at a time.
    fn record(&self, work: impl Future<Output = (Answer, Option<OrderView>)> + 'static) {
        // Boxed: one copy of what follows serves every kind of click.
        self.record_boxed(Box::pin(work));
    }

    fn record_boxed(
        &self,
        work: std::pin::Pin<Box<dyn Future<Output = (Answer, Option<OrderView>)>>>,
    ) {
        let inner = Rc::clone(&self.0);
        if matches!(inner.ui.borrow().answer, Some(Answer::Saving)) {
            return;
        }
        change(&inner, None, |ui| ui.answer = Some(Answer::Saving));
        wasm_bindgen_futures::spawn_local(async move {
            let (answer, view) = work.await;
            if let Some(view) = view {
                let mut ui = inner.ui.borrow_mut();
                if ui.view.as_ref().is_none_or(|old| view.seq > old.seq) {
                    ui.view = Some(view);
                }
            }
            change(&inner, Some("answer"), |ui| {
                ui.answer = Some(answer);
                ui.confirming = false;
            });
        });
    }

    pub fn confirm_cancel(&self, asking: bool) {
        let focus = if asking { "confirm" } else { "cancel" };
        change(&self.0, Some(focus), |ui| ui.confirming = asking);
    }

    pub fn dismiss(&self) {
        self.0.ui.borrow_mut().popup = None;
        let inner = Rc::clone(&self.0);
        request_animation_frame(move || redraw_popup(&inner));
    }
}

/// The choice as the choices API takes it. SKUs are letters, digits and
/// `._-` only (checked when read), so nothing here needs escaping.
fn choice_json(offer: OfferId, choice: &Choice) -> String {
    let code = choice.kind().code();
    let option = match choice {
        Choice::SwitchItem { sku } => format!("\"{code}\",\"sku\":\"{sku}\""),
        _ => format!("\"{code}\""),
    };
    format!(
        "{{\"offer\":{},\"choice\":{{\"option\":{option}}}}}",
        offer.0
    )
}

/// Posts the customer's choice and says what came of it; a recorded choice
/// also brings the new view.
async fn post_choice(link: &Link, offer: OfferId, choice: &Choice) -> (Answer, Option<OrderView>) {
    let body = choice_json(offer, choice);
    match send(&format!("{}/choices{}", link.base, link.query), &body).await {
        Some((200, text)) => (Answer::Recorded, decode::view(&text)),
        Some((409, text)) => {
            let error = decode::parse(&text).and_then(|body| field(&body, "error"));
            let code = error.as_ref().and_then(|error| json::text(error, "code"));
            // The one code the chooser tells apart (its other refusals all
            // mean the offer is closed), named by `shared` rather than retyped.
            match code.as_deref() {
                Some(code) if code == RejectionCode::AlreadyChosen.code() => (
                    Answer::AlreadyChosen(
                        error
                            .and_then(|error| field(&error, "chosen"))
                            .and_then(|chosen| decode::choice(&chosen)),
                    ),
                    None,
                ),
                _ => (Answer::Closed, None),
            }
        }
        _ => (Answer::Failed, None),
    }
}

async fn send(url: &str, body: &str) -> Option<(u16, String)> {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let headers = web_sys::Headers::new().ok()?;
    headers.set("Content-Type", "application/json").ok()?;
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(url, &init).ok()?;
    let window = web_sys::window()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let text = JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    Some((response.status(), text))
}
