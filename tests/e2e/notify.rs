//! "Tell me when it's back" (issue 19 #12): a shopper asks on the product
//! page of a sold-out product, confirms from the email (double opt-in), and
//! is told once when it is restocked; every email can stop it.

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::payloads;
use e2e::shop::{SHOP, ShopServer, UNAVAILABLE_SKU, demo_catalogue};
use e2e::store::Store;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::Date;

use crate::{World, eventually};

const KAYAK_NAME: &str = "Fjord Sea Kayak";

/// The shop's emails of `kind`, oldest first.
async fn emails_of(admin: &AdminApi, kind: &str) -> Vec<Value> {
    admin.get("/emails").await["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|email| email["kind"] == kind)
        .cloned()
        .collect()
}

/// An email's text, once the queue has written and sent it.
async fn sent_text(admin: &AdminApi, key: &str) -> String {
    eventually("the email sent", || async {
        let email = admin.get(&format!("/emails/one?key={key}")).await;
        (email["state"] == "sent").then(|| email["text"].as_str().unwrap_or_default().to_owned())
    })
    .await
}

/// The link in `text` to a watcher's `action` page.
fn link_to(text: &str, action: &str) -> String {
    text.split_whitespace()
        .find(|word| word.contains("/watchers/") && word.contains(&format!("/{action}?")))
        .unwrap_or_else(|| panic!("no {action} link in:\n{text}"))
        .to_owned()
}

/// What the notify form in the kayak's notice says, once it says something.
async fn form_said(client: &Client) -> String {
    eventually("the form's answer", || async {
        let said = client
            .execute(
                "const host = document.querySelector('[data-backorder-product=\"KAYAK-LTD\"]');\
                 const said = host.shadowRoot.querySelector('.said');\
                 return said && said.textContent;",
                vec![],
            )
            .await
            .expect("runs");
        said.as_str()
            .filter(|said| !said.is_empty())
            .map(str::to_owned)
    })
    .await
}

async fn restock(admin: &AdminApi) {
    admin
        .put_product_json(UNAVAILABLE_SKU, &json!({"status": "in_stock"}))
        .await;
}

async fn sell_out(admin: &AdminApi) {
    admin
        .put_product_json(UNAVAILABLE_SKU, &json!({"status": "unavailable"}))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shopper_asks_confirms_and_hears_once_when_a_sold_out_product_is_back() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let day = |text: &str| text.parse::<Date>().expect("a date");
    for (sku, setting) in demo_catalogue(day("2030-03-12"), day("2030-03-26")) {
        admin.set_product(SHOP, sku, &setting).await;
    }
    // An order from before it sold out names the kayak, as the store does.
    let store = Store::connect(&admin).await;
    let sold = payloads::standard(
        "order.placed",
        json!({"id": "K-1", "currency": "EUR", "total": "899.00",
               "lines": [{"sku": UNAVAILABLE_SKU, "quantity": 1, "unit_price": "899.00",
                          "name": KAYAK_NAME}],
               "customer": {"id": "c-k1", "email": "kim@example.com"}}),
    );
    assert_eq!(
        store.standard("msg_k1", &sold).await.status(),
        StatusCode::OK
    );

    // The Italian product page offers the form under the kayak's notice.
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&format!("{}?lang=it", shop.url()))
        .await
        .expect("loads");
    let form = eventually("the notify form", || async {
        let host = client
            .find(Locator::Css("[data-backorder-product=\"KAYAK-LTD\"]"))
            .await
            .ok()?;
        let root = host.shadow_root().await.ok()?;
        root.find(Locator::Css("form"))
            .await
            .ok()
            .map(|form| (root, form))
    })
    .await;
    let (root, form) = form;
    assert_eq!(
        form.text()
            .await
            .expect("its text")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        "Avvisami quando torna Il tuo indirizzo email Avvisami"
    );
    // Only the sold-out product has one.
    let forms: Value = client
        .execute(
            "return Array.from(document.querySelectorAll('[data-backorder-product]'))\
             .filter(h => h.shadowRoot && h.shadowRoot.querySelector('form')).length;",
            vec![],
        )
        .await
        .expect("runs");
    assert_eq!(forms, json!(1));
    root.find(Locator::Css("input[type=email]"))
        .await
        .expect("the address field")
        .send_keys("Ada@Example.com")
        .await
        .expect("typed");
    root.find(Locator::Css("button"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("a click");
    assert!(
        form_said(client).await.starts_with("Controlla la posta"),
        "the form says to look for the confirmation"
    );
    browser.close().await;

    // One confirmation, in Italian, naming the kayak, with a way to stop.
    let asked = emails_of(&admin, "watch_confirm").await;
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0]["locale"], "it");
    let key = asked[0]["key"].as_str().expect("a key").to_owned();
    let text = sent_text(&admin, &key).await;
    assert!(text.contains(KAYAK_NAME), "{text}");
    assert!(
        !text.contains("Ordine"),
        "about a product, not an order: {text}"
    );
    let confirm = link_to(&text, "confirm");
    let stop = link_to(&text, "unsubscribe");

    // Asking again at once answers alike and sends nothing more.
    let base = format!("{}/v1/shops/{SHOP}", world.worker.base_url());
    let http = e2e::http();
    let ask = |email: &str| {
        http.post(format!("{base}/products/{UNAVAILABLE_SKU}/watchers"))
            .json(&json!({"email": email, "lang": "it"}))
            .send()
    };
    let again = ask("ada@example.com").await.expect("answers");
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(emails_of(&admin, "watch_confirm").await.len(), 1);

    // Unconfirmed, a restock tells no one; opening the link alone (a GET)
    // confirms nothing either. Both are done when their requests return.
    let page = http.get(&confirm).send().await.expect("the page");
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("HTML");
    assert!(
        page.contains("<form") && page.contains(KAYAK_NAME),
        "{page}"
    );
    restock(&admin).await;
    assert!(emails_of(&admin, "back_in_stock").await.is_empty());
    sell_out(&admin).await;

    // The button confirms; the restock after it tells the shopper once.
    let confirmed = http.post(&confirm).send().await.expect("the page");
    assert_eq!(confirmed.status(), StatusCode::OK);
    let confirmed = confirmed.text().await.expect("HTML");
    assert!(confirmed.contains("Grazie"), "{confirmed}");
    restock(&admin).await;
    let told = emails_of(&admin, "back_in_stock").await;
    assert_eq!(told.len(), 1, "{told:?}");
    let text = sent_text(&admin, told[0]["key"].as_str().expect("a key")).await;
    assert!(
        text.contains(KAYAK_NAME) && text.contains("di nuovo") && text.contains("/unsubscribe?"),
        "{text}"
    );
    sell_out(&admin).await;
    restock(&admin).await;
    assert_eq!(
        emails_of(&admin, "back_in_stock").await.len(),
        1,
        "told once, not at every restock"
    );

    // Another shopper confirms, then stops with the mail client's one-click
    // POST (RFC 8058): the next restock does not write to them.
    sell_out(&admin).await;
    assert_eq!(
        ask("bo@example.com").await.expect("answers").status(),
        StatusCode::ACCEPTED
    );
    let bo = emails_of(&admin, "watch_confirm").await;
    assert_eq!(bo.len(), 2, "{bo:?}");
    let text = sent_text(&admin, bo[1]["key"].as_str().expect("a key")).await;
    http.post(link_to(&text, "confirm"))
        .send()
        .await
        .expect("confirmed");
    let stopped = http
        .post(link_to(&text, "unsubscribe"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("stopped");
    assert_eq!(stopped.status(), StatusCode::OK);
    restock(&admin).await;
    assert_eq!(emails_of(&admin, "back_in_stock").await.len(), 1);
    // The first shopper's stop link still opens, and changes nothing by GET.
    let shown = http.get(&stop).send().await.expect("the page");
    assert_eq!(shown.status(), StatusCode::OK);

    // Bad input is refused, clearly, and changes nothing.
    sell_out(&admin).await;
    let refused = ask("not an address").await.expect("answers");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let error: Value = refused.json().await.expect("JSON");
    assert_eq!(error["error"]["code"], "invalid_input", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("email")),
        "{error}"
    );
    let in_stock = http
        .post(format!("{base}/products/LANTERN-01/watchers"))
        .json(&json!({"email": "cy@example.com"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(in_stock.status(), StatusCode::BAD_REQUEST);
    let unknown = http
        .post(format!("{base}/products/NOPE-1/watchers"))
        .json(&json!({"email": "cy@example.com"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let forged = confirm.replace("t=", "t=0");
    assert_eq!(
        http.post(&forged).send().await.expect("answers").status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(emails_of(&admin, "watch_confirm").await.len(), 2);
}
