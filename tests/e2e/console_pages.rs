//! The console's owner pages in Chromium: the policy with a refused field
//! shown beside it, a template edited beside its live preview and a broken
//! one refused with its line, a later window set from the products page
//! that says how many waiting orders it will tell and then reaches them, a
//! delivery file with a bad row refused whole, a test email through the
//! shop's provider; the FAQ in three languages, public and cacheable; an
//! agent who is shown no owner's page; a key rotation that ends every
//! session. axe finds nothing on any page, in English and Arabic.

use std::io::Write;

use e2e::browser::Browser;
use e2e::mail_server::{Fault, MailServer};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::World;
use crate::console::{
    SHOP, SHOWN, TENT, click, fetch_status, no_violations, shop_with_orders, type_into, wait_js,
};

/// Sets a field's value as typing would, and says so to the page.
async fn set_value(client: &Client, selector: &str, value: &str, event: &str) {
    client
        .execute(
            "const e = document.querySelector(arguments[0]);\
             e.value = arguments[1]; e.dispatchEvent(new Event(arguments[2], {bubbles: true}));",
            vec![json!(selector), json!(value), json!(event)],
        )
        .await
        .unwrap_or_else(|err| panic!("{selector} takes a value: {err}"));
}

/// The text of the first element `selector` finds, once it has some.
async fn text_of(client: &Client, what: &str, selector: &str) -> String {
    let script = format!(
        "const e = document.querySelector({}); return e && e.innerText.trim() || null;",
        json!(selector)
    );
    wait_js(client, what, &script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The one-click sign-in the demo prints: the console's list, signed in
/// with `key`, in English.
async fn sign_in(client: &Client, base: &str, key: &str) {
    client
        .goto(&format!("{base}/console/?shop={SHOP}&lang=en#signin={key}"))
        .await
        .expect("loads");
    wait_js(client, "the order list", SHOWN).await;
}

async fn go(client: &Client, hash: &str) {
    client
        .execute("location.hash = arguments[0];", vec![json!(hash)])
        .await
        .expect("the hash changes");
}

async fn to_arabic(client: &Client) {
    set_value(client, ".lang select", "ar", "change").await;
    wait_js(
        client,
        "right to left",
        "return document.documentElement.dir === 'rtl';",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_sets_the_policy_a_template_a_delay_and_a_delivery_history_from_the_console() {
    let world = World::start().await;
    let admin = shop_with_orders(&world).await;
    let base = world.worker.base_url().to_owned();
    let browser = Browser::start().await;
    let client = &browser.client;
    sign_in(client, &base, admin.api_key()).await;

    // The policy: a lifetime out of bounds is refused beside its field,
    // and nothing changes; a good one is kept.
    click(client, "nav a[href='#/settings']").await;
    wait_js(
        client,
        "the policy loaded",
        "const e = document.querySelector('#offer_lifetime_days'); return e && e.value === '7';",
    )
    .await;
    set_value(client, "#offer_lifetime_days", "99", "input").await;
    click(client, "#policy-title ~ form button[type=submit]").await;
    let beside = text_of(client, "the field's error", "#offer_lifetime_days-error").await;
    assert!(beside.contains("offer_lifetime_days"), "{beside}");
    let invalid = client
        .execute(
            "return document.querySelector('#offer_lifetime_days').getAttribute('aria-invalid');",
            vec![],
        )
        .await
        .expect("runs");
    assert_eq!(invalid, "true");
    assert_eq!(admin.get("/policy").await["offer_lifetime_days"], 7);
    set_value(client, "#offer_lifetime_days", "5", "input").await;
    click(client, "#policy-title ~ form button[type=submit]").await;
    text_of(client, "saved", "#policy-title ~ form .done").await;
    assert_eq!(admin.get("/policy").await["offer_lifetime_days"], 5);
    no_violations(client, "the settings (en)").await;

    // A template: the preview follows the draft, a broken one is refused
    // with its line (and not kept), a good one is kept.
    wait_js(
        client,
        "our receipt template and its preview",
        "const t = document.querySelector('#template-source');\
         const f = document.querySelector('iframe.preview');\
         return t && t.value.includes('{%') && f && f.srcdoc.length > 0;",
    )
    .await;
    let ours = client
        .execute(
            "return document.querySelector('#template-source').value;",
            vec![],
        )
        .await
        .expect("runs")
        .as_str()
        .expect("a source")
        .to_owned();
    let draft = ours.replacen(
        "{% block body %}",
        "{% block body %}<p>Thanks a million</p>",
        1,
    );
    assert_ne!(draft, ours, "the receipt has a body block");
    set_value(client, "#template-source", &draft, "input").await;
    wait_js(
        client,
        "the draft in the preview",
        "const f = document.querySelector('iframe.preview'); return f && f.srcdoc.includes('Thanks a million');",
    )
    .await;
    let broken = format!("{draft}\n\n{{% if %}}");
    set_value(client, "#template-source", &broken, "input").await;
    click(client, ".editor button[type=submit]").await;
    let refused = text_of(client, "the refusal", ".editor .refused").await;
    let lines = broken.lines().count();
    assert!(
        refused.contains(&format!("receipt.html line {lines}")),
        "{refused} (the draft has {lines} lines)"
    );
    let kept = admin.get("/templates/en/receipt.html").await;
    assert_eq!(kept["overridden"], false, "{kept}");
    set_value(client, "#template-source", &draft, "input").await;
    click(client, ".editor button[type=submit]").await;
    text_of(client, "the template saved", ".editor .done").await;
    let kept = admin.get("/templates/en/receipt.html").await;
    assert_eq!(kept["overridden"], true, "{kept}");
    assert!(
        kept["source"]
            .as_str()
            .is_some_and(|s| s.contains("Thanks a million"))
    );
    to_arabic(client).await;
    wait_js(
        client,
        "the settings in Arabic",
        "return document.querySelector('#policy-title') && document.querySelector('iframe.preview');",
    )
    .await;
    no_violations(client, "the settings (ar)").await;
    set_value(client, ".lang select", "en", "change").await;

    // A later window for a product three orders wait for: the page says
    // how many it will tell before it goes, then they hear it.
    go(client, "#/products").await;
    let waiting = text_of(
        client,
        "the tent's row",
        &format!("tr[data-sku='{TENT}'] td.number"),
    )
    .await;
    assert_eq!(waiting, "3");
    let later = |days| e2e::today().add_days(days).expect("a date").to_string();
    type_into(client, "#product-sku", TENT).await;
    set_value(client, "#product-earliest", &later(50), "input").await;
    set_value(client, "#product-latest", &later(70), "input").await;
    type_into(client, "#delay-reason", "The factory closed for a week.").await;
    type_into(client, "#delay-fix", "A second factory makes them now.").await;
    click(client, "#set-product-title ~ form button[type=submit]").await;
    let review = text_of(client, "the count before confirming", ".review").await;
    assert!(review.starts_with('3'), "{review}");
    let listed = admin.get("/orders?needs_decision=true").await;
    assert_eq!(listed["total"], 0, "nothing sent before the confirmation");
    click(client, "#set-product-title ~ form button[type=submit]").await;
    let told = text_of(
        client,
        "the product saved",
        "#set-product-title ~ form .done",
    )
    .await;
    assert!(told.contains('3'), "{told}");
    crate::eventually("the three orders to hear of the delay", || async {
        let listed = admin.get("/orders?needs_decision=true").await;
        (listed["total"] == 3).then_some(())
    })
    .await;

    // A delivery file with a bad row: named by its line, nothing learnt;
    // then a good one, learnt once however often it is sent.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        let mut file = std::fs::File::create(&path).expect("a file");
        file.write_all(text.as_bytes()).expect("written");
        path.to_string_lossy().into_owned()
    };
    let bad = write(
        "bad.csv",
        "id,vendor,mode,scheduled,delivered\n1,Acme,Air,2014-01-02,2014-01-09\n2,Acme,Air,2014-02-30,2014-03-01\n",
    );
    let good: String =
        std::fs::read_to_string("../../shared/data/deliveries/supplier-deliveries-2006-2014H1.csv")
            .or_else(|_| {
                std::fs::read_to_string(
                    "../shared/data/deliveries/supplier-deliveries-2006-2014H1.csv",
                )
            })
            .expect("the supplier deliveries")
            .lines()
            .take(201)
            .map(|line| format!("{line}\n"))
            .collect();
    let good = write("good.csv", &good);
    let upload = |path: String| async move {
        let input = client
            .find(Locator::Css("#deliveries-file"))
            .await
            .expect("a file field");
        input.send_keys(&path).await.expect("a file chosen");
        click(client, "#deliveries-title ~ form button[type=submit]").await;
    };
    upload(bad).await;
    let refused = text_of(client, "the bad row", "#deliveries-title ~ form .error").await;
    assert!(refused.contains("line 3"), "{refused}");
    assert_eq!(admin.get("/deliveries").await["deliveries_in_history"], 0);
    upload(good.clone()).await;
    let learnt = text_of(client, "the file learnt", "#deliveries-title ~ form .done").await;
    assert!(learnt.contains("200"), "{learnt}");
    assert_eq!(admin.get("/deliveries").await["deliveries_in_history"], 200);
    upload(good).await;
    wait_js(
        client,
        "the same file not learnt twice",
        "const d = document.querySelector('#deliveries-title ~ form .done');\
         return d && !d.innerText.includes('200');",
    )
    .await;
    assert_eq!(admin.get("/deliveries").await["deliveries_in_history"], 200);
    // The suppliers' record, from the deliveries just learnt.
    let first = text_of(client, "the suppliers' record", "table.suppliers tbody th").await;
    assert!(!first.is_empty());

    // A product from supply facts: its page's dates are estimated from the
    // history just learnt, and the list says so.
    for field in [
        "#product-sku",
        "#product-earliest",
        "#product-latest",
        "#delay-reason",
        "#delay-fix",
    ] {
        set_value(client, field, "", "input").await;
    }
    type_into(client, "#product-sku", "TEST-KIT").await;
    type_into(client, "#supply-supplier", "Standard Diagnostics, Inc.").await;
    type_into(client, "#supply-mode", "Air").await;
    set_value(client, "#supply-arrival", &later(30), "input").await;
    click(client, "#set-product-title ~ form button[type=submit]").await;
    text_of(client, "the kit saved", "#set-product-title ~ form .done").await;
    let why = text_of(
        client,
        "the kit's row",
        "tr[data-sku='TEST-KIT'] td:nth-of-type(2)",
    )
    .await;
    assert!(why.starts_with("Estimated"), "{why}");
    let catalog = admin.get("/catalog").await;
    let kit = catalog["products"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["sku"] == "TEST-KIT"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        kit["setting"]["supply"]["supplier"], "Standard Diagnostics, Inc.",
        "{catalog}"
    );
    assert!(kit["shown"]["window"]["earliest"].is_string(), "{kit}");
    no_violations(client, "the products (en)").await;
    to_arabic(client).await;
    text_of(client, "the products in Arabic", "table.products caption").await;
    no_violations(client, "the products (ar)").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_faq_a_test_email_an_agent_and_a_key_rotation_in_the_console() {
    let mail = MailServer::start(0).await;
    let world = World::start_with_mail(&mail, 5_000).await;
    let admin = shop_with_orders(&world).await;
    let base = world.worker.base_url().to_owned();
    admin.set_mail_provider("resend", &mail.api_key).await;
    let policy = admin
        .set_policy(&json!({"store_credit_bonus_percent": 15, "country": "US"}))
        .await;
    assert!(
        policy.get("store_credit_bonus_percent").is_some(),
        "{policy}"
    );

    // The FAQ is public, cacheable and written from the policy, in each
    // language and both forms.
    let http = e2e::http();
    for (lang, dir, rule) in [
        ("en", "ltr", "30-day rule"),
        ("it", "ltr", "30 giorni"),
        ("ar", "rtl", "الثلاثين"),
    ] {
        let response = http
            .get(format!("{base}/v1/shops/{SHOP}/faq?lang={lang}"))
            .send()
            .await
            .expect("the FAQ");
        assert_eq!(response.status(), StatusCode::OK);
        let cache = response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(cache.starts_with("public"), "{cache}");
        let html = response.text().await.expect("HTML");
        assert!(
            html.contains(&format!("lang=\"{lang}\" dir=\"{dir}\"")),
            "{html}"
        );
        assert!(html.contains("15"), "the bonus: {html}");
        assert!(html.contains(rule), "the US rule, for a US shop: {html}");
        let markdown = http
            .get(format!(
                "{base}/v1/shops/{SHOP}/faq?lang={lang}&format=markdown"
            ))
            .send()
            .await
            .expect("the FAQ")
            .text()
            .await
            .expect("Markdown");
        assert!(markdown.starts_with("# "), "{markdown}");
        assert!(!markdown.contains('<'), "{markdown}");
    }
    // Store credit off and an Italian shop: the FAQ says neither.
    admin
        .set_policy(&json!({"country": "IT", "options": {"store_credit": false}}))
        .await;
    let html = http
        .get(format!("{base}/v1/shops/{SHOP}/faq?lang=en"))
        .send()
        .await
        .expect("the FAQ")
        .text()
        .await
        .expect("HTML");
    assert!(
        !html.contains("Store credit") && !html.contains("30-day"),
        "{html}"
    );
    let unknown = http
        .get(format!("{base}/v1/shops/{SHOP}/faq?lang=fr"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    // An agent: orders and the FAQ, no owner's page in the menu, and one
    // typed in says it is the owner's.
    let (status, agent) = admin.post("/agents", &json!({"name": "Luca"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let browser = Browser::start().await;
    let client = &browser.client;
    sign_in(client, &base, agent["key"].as_str().expect("a key")).await;
    let menu = wait_js(
        client,
        "the agent's menu",
        "return Array.from(document.querySelectorAll('header nav a'), a => a.getAttribute('href'));",
    )
    .await;
    assert_eq!(menu, json!(["#/orders", "#/faq"]));
    go(client, "#/faq").await;
    let title = text_of(client, "the FAQ", ".faq h1").await;
    assert!(title.contains("Tent & Co"), "the sender's name: {title}");
    no_violations(client, "the FAQ (en)").await;
    to_arabic(client).await;
    set_value(client, "main select", "ar", "change").await;
    wait_js(
        client,
        "the FAQ in Arabic",
        "const a = document.querySelector('.faq article'); return a && a.dir === 'rtl';",
    )
    .await;
    no_violations(client, "the FAQ (ar)").await;
    go(client, "#/settings").await;
    text_of(client, "the owner's page refused", "main .error").await;
    let status = fetch_status(
        client,
        &format!("/v1/shops/{SHOP}/mail/test"),
        json!({"method": "POST", "credentials": "same-origin",
               "headers": {"Content-Type": "application/json"}, "body": "{\"to\":\"x@example.com\"}"}),
    )
    .await;
    assert_eq!(status, 403, "an agent sends no test email");
    click(client, ".sign-out").await;
    wait_js(
        client,
        "signed out",
        "return document.querySelector('#key');",
    )
    .await;

    // The owner sends a test email through the shop's provider: one
    // arrives; a refusal is said as the provider said it.
    sign_in(client, &base, admin.api_key()).await;
    go(client, "#/settings").await;
    type_into(client, "#test-to", "owner@example.com").await;
    click(client, "form.inline button[type=submit]").await;
    let sent = text_of(client, "the test sent", "form.inline .done").await;
    assert!(sent.contains("resend"), "{sent}");
    let inbox: Vec<_> = mail
        .delivered()
        .into_iter()
        .filter(|email| email.to == "owner@example.com")
        .collect();
    assert_eq!(inbox.len(), 1);
    assert!(mail.violations().is_empty(), "{:?}", mail.violations());
    mail.script(&[Fault::Refuse]);
    click(client, "form.inline button[type=submit]").await;
    let refused = text_of(client, "the refusal", "form.inline .error").await;
    assert!(refused.contains("resend"), "{refused}");

    // The team page: an agent key made here and shown once.
    go(client, "#/team").await;
    type_into(client, "#agent-name", "Marta").await;
    click(client, "#agents-title ~ form button[type=submit]").await;
    let key = text_of(client, "the new agent's key", ".new-key code").await;
    assert!(key.starts_with("bka_"), "{key}");
    text_of(client, "the audit log", "table.audit tbody tr").await;
    no_violations(client, "the team (en)").await;
    to_arabic(client).await;
    text_of(client, "the team in Arabic", "#agents-title").await;
    no_violations(client, "the team (ar)").await;
    set_value(client, ".lang select", "en", "change").await;

    // A second session elsewhere; rotating the key ends both, and the old
    // key; the new one works.
    let other = e2e::http();
    let session = other
        .post(format!("{base}/v1/shops/{SHOP}/sessions"))
        .bearer_auth(admin.api_key())
        .send()
        .await
        .expect("a session");
    let cookie = session
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a cookie")
        .to_owned();
    let current = |cookie: String| {
        let other = other.clone();
        let url = format!("{base}/v1/shops/{SHOP}/sessions/current");
        async move {
            other
                .get(url)
                .header("Cookie", cookie)
                .send()
                .await
                .expect("an answer")
                .status()
        }
    };
    assert_eq!(current(cookie.clone()).await, StatusCode::OK);
    go(client, "#/settings").await;
    click(client, "button.rotate").await;
    click(client, "button.rotate-yes").await;
    let new_key = text_of(client, "the new key", ".new-key code.key").await;
    assert!(
        new_key.starts_with("bk_") && new_key != admin.api_key(),
        "{new_key}"
    );
    assert_eq!(current(cookie).await, StatusCode::UNAUTHORIZED);
    let status = fetch_status(
        client,
        &format!("/v1/shops/{SHOP}/sessions/current"),
        json!({"credentials": "same-origin"}),
    )
    .await;
    assert_eq!(status, 401, "the console's own session ended too");
    let old = http
        .get(format!("{base}/v1/shops/{SHOP}/policy"))
        .bearer_auth(admin.api_key())
        .send()
        .await
        .expect("an answer");
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = http
        .get(format!("{base}/v1/shops/{SHOP}/policy"))
        .bearer_auth(&new_key)
        .send()
        .await
        .expect("an answer");
    assert_eq!(new.status(), StatusCode::OK);
    click(client, ".new-key button").await;
    wait_js(
        client,
        "the sign-in form",
        "return document.querySelector('#key');",
    )
    .await;
    to_arabic(client).await;
    text_of(client, "the sign-in form in Arabic", "#sign-in-title").await;
    no_violations(client, "the sign-in form (ar)").await;
    browser.close().await;
}
