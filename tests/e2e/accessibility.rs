//! axe-core (npm, the engine behind most accessibility checkers) finds no
//! violations in what the widget adds to a page: the order page with its
//! timeline, the chooser and its confirmation, the pop-up, and the product
//! page's banner and notices, in English, Italian and Arabic.

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::payloads;
use e2e::shop::{BACKORDER_SKU, SHOP, ShopServer, UNAVAILABLE_SKU, demo_catalogue};
use e2e::store::Store;
use fantoccini::Client;
use serde_json::{Value, json};

use crate::World;

/// Runs axe on the whole page (it enters open shadow roots) and returns its
/// violations, each with the rule, its impact and the nodes it found.
pub(crate) async fn violations(client: &Client) -> Vec<Value> {
    let axe = std::fs::read_to_string(e2e::repo_root().join("node_modules/axe-core/axe.min.js"))
        .expect("axe-core is installed (scripts/setup runs npm ci)");
    client
        .execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .expect("axe loads");
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] })\
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact,\
                  nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary) }))))\
               .catch(e => done([{ id: 'axe failed', nodes: [String(e)] }]));",
            vec![],
        )
        .await
        .expect("axe runs");
    result.as_array().cloned().unwrap_or_default()
}

/// How many checks axe passed on elements inside a shadow root (their
/// target is a path through the host): proof that it looked at the widget.
async fn passed_inside_shadow_roots(client: &Client) -> u64 {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.passes.reduce((n, p) =>\
               n + p.nodes.filter(x => JSON.stringify(x.target).includes('backorder')).length, 0)))\
               .catch(e => done(String(e)));",
            vec![],
        )
        .await
        .expect("axe runs")
        .as_u64()
        .unwrap_or(0)
}

async fn shadow_has(client: &Client, host: &str, selector: &str) -> bool {
    client
        .execute(
            "const h = document.querySelector(arguments[0]); \
             return !!(h && h.shadowRoot && h.shadowRoot.querySelector(arguments[1]));",
            vec![json!(host), json!(selector)],
        )
        .await
        .expect("runs")
        == Value::Bool(true)
}

async fn wait_for(client: &Client, host: &str, selector: &str) {
    crate::eventually(&format!("{selector} in {host}"), || async {
        shadow_has(client, host, selector).await.then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn axe_finds_no_violations_in_the_order_page_chooser_popup_and_banner() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    for (sku, setting) in demo_catalogue(
        "2030-02-01".parse().expect("a date"),
        "2030-02-14".parse().expect("a date"),
    ) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    let ends_on = e2e::today().add_days(3).expect("a date").to_string();
    let (status, _) = admin
        .put(
            "/banner",
            &json!({"messages": {"en": "Many tents are on backorder: thank you for your patience.",
                                 "it": "Molte tende sono su ordinazione: grazie per la pazienza.",
                                 "ar": "كثير من الخيام بطلب مسبق: شكرًا لصبرك."},
                    "ends_on": ends_on}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    let mut found = Vec::new();

    for (index, lang) in ["en-GB", "it", "ar"].into_iter().enumerate() {
        // The product page: notices and the banner.
        client
            .goto(&format!("{}?lang={lang}", shop.url()))
            .await
            .expect("loads");
        wait_for(
            client,
            &format!("[data-backorder-product=\"{BACKORDER_SKU}\"]"),
            ".notice",
        )
        .await;
        // The sold-out kayak's "tell me when it's back" form (its own
        // script, fetched after the notices).
        wait_for(
            client,
            &format!("[data-backorder-product=\"{UNAVAILABLE_SKU}\"]"),
            "form input[type=email]",
        )
        .await;
        crate::eventually("the banner", || async {
            let shown = client
                .execute(
                    "return Array.from(document.body.children).some(e => e.shadowRoot && e.shadowRoot.querySelector('.banner'));",
                    vec![],
                )
                .await
                .expect("runs");
            (shown == Value::Bool(true)).then_some(())
        })
        .await;
        for violation in violations(client).await {
            found.push((format!("product page, {lang}"), violation));
        }

        // The order page: timeline, then a slip brings the pop-up and the
        // chooser; then the cancel confirmation.
        let id = format!("A11Y-{index}");
        let order = payloads::standard(
            "order.placed",
            json!({"id": id, "currency": "EUR", "total": "189.00",
                   "lines": [{"sku": BACKORDER_SKU, "quantity": 1, "unit_price": "189.00"}],
                   "customer": {"id": format!("c-{id}"), "email": "ali@example.com"}}),
        );
        assert!(
            store
                .standard(&format!("msg_{id}"), &order)
                .await
                .status()
                .is_success()
        );
        let token = admin.customer_token(&id).await;
        client
            .goto(&format!("{}orders/{id}?t={token}&lang={lang}", shop.url()))
            .await
            .expect("loads");
        wait_for(client, "[data-backorder-order]", ".steps").await;
        let later = 20 + index;
        let news = payloads::standard(
            "window.changed",
            json!({"sku": BACKORDER_SKU,
                   "window": {"earliest": "2030-03-01", "latest": format!("2030-03-{later}")},
                   "reason": "The container was held at the port.", "fix": "We booked the first truck out."}),
        );
        assert!(
            store
                .standard(&format!("msg_slip_{id}"), &news)
                .await
                .status()
                .is_success()
        );
        wait_for(client, "[data-backorder-order]", ".popup").await;
        wait_for(client, "[data-backorder-order]", "button.option").await;
        for violation in violations(client).await {
            found.push((
                format!("order page with chooser and pop-up, {lang}"),
                violation,
            ));
        }
        client
            .execute(
                "document.querySelector('[data-backorder-order]').shadowRoot.querySelector('[data-key=cancel]').click(); return true;",
                vec![],
            )
            .await
            .expect("clicks");
        wait_for(client, "[data-backorder-order]", ".confirm").await;
        for violation in violations(client).await {
            found.push((format!("cancel confirmation, {lang}"), violation));
        }
        let inside = passed_inside_shadow_roots(client).await;
        assert!(inside > 10, "axe looked inside the widget: {inside}");
    }
    assert!(found.is_empty(), "axe found violations: {found:#?}");
    browser.close().await;
}
