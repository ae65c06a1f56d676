//! The deployment config `scripts/deploy` writes (issue 23): the local
//! config's placeholders replaced, everything else as the local one says.

use std::process::Command;

#[test]
fn the_deployment_config_differs_from_the_local_one_where_it_must() {
    let root = e2e::repo_root();
    let output = Command::new(root.join("scripts/deploy"))
        .args(["--dry-run", "--print-config"])
        .env("BACKORDER_PUBLIC_URL", "https://edge.example.com")
        .output()
        .expect("scripts/deploy runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let deployed = String::from_utf8(output.stdout).expect("UTF-8");
    let local = std::fs::read_to_string(root.join("edge/wrangler.toml")).expect("the local config");

    // Where it must differ: the KV namespace's id, where links lead, logs.
    assert!(local.contains("id = \"backorder-kv-local\""));
    assert!(!deployed.contains("backorder-kv-local"), "{deployed}");
    assert!(
        deployed.contains("\nid = \"00000000000000000000000000000000\"\n"),
        "{deployed}"
    );
    assert!(!deployed.contains("127.0.0.1"), "{deployed}");
    assert!(
        deployed.contains("PUBLIC_URL = \"https://edge.example.com\""),
        "{deployed}"
    );
    assert!(
        deployed.contains("[observability]\nenabled = true"),
        "{deployed}"
    );

    // Everything else as the local config says: every binding, queue,
    // Durable Object class, migration and the compatibility date.
    let changed = |line: &str| line.starts_with("id = ") || line.starts_with("PUBLIC_URL = ");
    for line in local.lines().filter(|line| !changed(line)) {
        assert!(
            deployed.lines().any(|deployed| deployed == line),
            "the deployment config lost {line:?}"
        );
    }
}
