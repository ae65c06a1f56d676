//! The running worker against its own OpenAPI document: schemathesis (from
//! PyPI, installed by `scripts/setup`) generates valid and invalid requests
//! for every operation and checks that nothing answers 5xx, and that every
//! status, content type and body is the one the document describes.

use std::process::Command;

use e2e::admin::AdminApi;
use e2e::payloads;
use e2e::store::Store;
use reqwest::StatusCode;
use serde_json::json;

use crate::World;

const SHOP: &str = "fuzz-shop";

/// Operations with a rule JSON Schema cannot state (written in the
/// operation's description instead): data the document allows may still be
/// refused there, with a 4xx that says why.
const CROSS_FIELD_RULES: [(&str, &str, &str); 11] = [
    (
        "/v1/shops/{shop}/policy",
        "PUT",
        "an offer lapses before the next nurture email; at least one option; an alternative is not its own SKU",
    ),
    (
        "/v1/shops/{shop}/mail",
        "PUT",
        "a provider's API key is required unless one is stored already",
    ),
    (
        "/v1/shops/{shop}/deliveries",
        "POST",
        "received within three years of promised",
    ),
    (
        "/v1/shops/{shop}/products/{sku}",
        "PUT",
        "a window's earliest day before its latest; texts only for a backorder",
    ),
    ("/v1/shops/{shop}/banner", "PUT", "ends today or later"),
    (
        "/v1/shops/{shop}/orders/{order}/confirm",
        "POST",
        "the option must be one the live offer holds",
    ),
    (
        "/v1/shops/{shop}/products/{sku}/watchers",
        "POST",
        "the product must be one the shop has and cannot sell now",
    ),
    (
        "/v1/shops/{shop}/agents",
        "POST",
        "a name with no invisible characters",
    ),
    (
        "/v1/shops/{shop}/support/lookup",
        "GET",
        "exactly one of email and order",
    ),
    (
        "/v1/shops/{shop}/orders/{order}/notes",
        "POST",
        "no invisible characters but line breaks",
    ),
    (
        "/v1/shops/{shop}/orders/{order}/live",
        "GET",
        "a WebSocket upgrade only",
    ),
];

/// What `wrangler dev`'s own proxy answers to a POST in flight while it
/// reloads the worker.
const WRANGLER_RELOAD_ANSWER: &str = "Your worker restarted mid-request";

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_keeps_to_its_openapi_document() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    admin
        .put_product_json(
            "TENT-2P",
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    let placed = payloads::standard(
        "order.placed",
        json!({"id": "F-1", "currency": "EUR", "total": "199.00",
               "lines": [{"sku": "TENT-2P", "quantity": 1, "unit_price": "199.00"}],
               "customer": {"id": "c-f"}}),
    );
    assert_eq!(
        store.standard("msg_f1", &placed).await.status(),
        StatusCode::OK
    );
    let token = admin.customer_token("F-1").await;

    let base = world.worker.base_url();
    let document: serde_json::Value = e2e::http()
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .expect("the document is served")
        .json()
        .await
        .expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");

    // Path and query values that reach real records; the rest is generated.
    // Every check runs on every operation, both ways: data the document
    // allows is taken, data it does not is refused. Where the document
    // cannot say a rule (one field against another, or against what the
    // shop holds), the rule is in the operation's words and its own test,
    // and only the "allowed data is taken" check is left out there.
    let folder = tempfile::tempdir().expect("a temporary folder");
    let config = folder.path().join("schemathesis.toml");
    let mut text = format!(
        "[parameters]\n\"path.shop\" = \"{SHOP}\"\n\"path.order\" = \"F-1\"\n\"query.t\" = \"{token}\"\n\
         \n[generation]\nmax-examples = 25\ndeterministic = true\n\n[checks]\n"
    );
    for check in [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "ignored_auth",
    ] {
        text.push_str(&format!("{check}.enabled = true\n"));
    }
    // Not claimed: a 405 with `Allow` for every method a path does not
    // name (unknown methods get 404 or 405), and the stateful checks.
    for check in [
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "object_level_authorization",
        "response_headers_conformance",
    ] {
        text.push_str(&format!("{check}.enabled = false\n"));
    }
    for (path, method, why) in CROSS_FIELD_RULES {
        text.push_str(&format!(
            "\n# {why}\n[[operations]]\ninclude-path = \"{path}\"\ninclude-method = \"{method}\"\n\
             checks.positive_data_acceptance.enabled = false\n"
        ));
    }
    std::fs::write(&config, &text).expect("the config is written");
    // With an agent key, most operations are refused (403, as documented):
    // every check runs but "allowed data is taken".
    let agent_config = folder.path().join("schemathesis-agent.toml");
    std::fs::write(
        &agent_config,
        text.replace(
            "positive_data_acceptance.enabled = true",
            "positive_data_acceptance.enabled = false",
        ),
    )
    .expect("the config is written");
    let schemathesis = e2e::repo_root().join("target/venv/bin/schemathesis");
    assert!(
        schemathesis.exists(),
        "{} is missing: scripts/setup installs it",
        schemathesis.display()
    );
    let run = |config: &std::path::Path, key: &str| {
        let output = Command::new(&schemathesis)
            .arg("--config-file")
            .arg(config)
            .arg("run")
            .arg(format!("{base}/openapi.json"))
            .args(["--url", base])
            .args(["--header", &format!("Authorization: Bearer {key}")])
            // Rotating the key or link secret mid-run would lock the fuzzer out
            // of everything after it; rotation has its own test.
            .args(["--exclude-path-regex", "api-key|link-secret"])
            .args(["--mode", "all"])
            .args(["--request-timeout", "10"])
            .env("NO_COLOR", "1")
            .current_dir(folder.path())
            .output()
            .expect("schemathesis runs");
        let report = format!(
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), report)
    };
    let (mut passed, mut report) = run(&config, admin.api_key());
    // `wrangler dev` itself answers 503 to a POST in flight while it reloads
    // the worker (its log says so); that answer is not ours, so the run is
    // made once more, and only then.
    if !passed && report.contains(WRANGLER_RELOAD_ANSWER) && world.worker.reloaded() {
        eprintln!(
            "wrangler reloaded the worker during the run; running schemathesis again:\n{report}"
        );
        (passed, report) = run(&config, admin.api_key());
    }
    assert!(passed, "schemathesis found problems:\n{report}");
    // Its summary (how many cases, which warnings), for whoever reads the log.
    let summary = report
        .lines()
        .skip_while(|line| !line.contains("SUMMARY"))
        .collect::<Vec<_>>()
        .join("\n");
    println!("{summary}");

    // The same operations with a support agent's key: nothing answers 5xx,
    // and every refusal is one the document names.
    let (status, agent) = admin.post("/agents", &json!({"name": "Fuzz"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent_key = agent["key"].as_str().expect("an agent key");
    let (passed, report) = run(&agent_config, agent_key);
    assert!(
        passed || (report.contains(WRANGLER_RELOAD_ANSWER) && world.worker.reloaded()),
        "schemathesis found problems with an agent key:\n{report}"
    );
}
