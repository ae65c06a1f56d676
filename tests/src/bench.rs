//! What the benchmarks share: placing many backorder orders the way a store
//! does, through signed Standard Webhooks, sixteen at a time.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::Semaphore;

use crate::payloads;
use crate::store::Store;

/// Places orders `B-0` … `B-{count-1}`, one unit of `sku` each, from
/// customers `c{index}@example.com`. A 5xx is sent again with the same
/// delivery (the edge takes a delivery once, however often it comes), as a
/// store does. Returns how many deliveries had to be sent again.
pub async fn place_orders(store: &Store, count: usize, sku: &str) -> usize {
    let gate = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::with_capacity(count);
    for index in 0..count {
        let (store, gate, sku) = (store.clone(), gate.clone(), sku.to_owned());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("the gate stays open");
            let body = payloads::standard(
                "order.placed",
                json!({"id": format!("B-{index}"), "currency": "EUR", "total": "199.00",
                       "lines": [{"sku": sku, "quantity": 1, "unit_price": "199.00"}],
                       "customer": {"id": format!("c-{index}"), "email": format!("c{index}@example.com")}}),
            );
            let mut retries = 0;
            loop {
                let response = store.standard(&format!("msg_{index}"), &body).await;
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if status.is_server_error() && retries < 3 {
                    eprintln!("order {index}: {status} {text}; retrying");
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
                assert!(status.is_success(), "placing order {index}: {status} {text}");
                break retries;
            }
        }));
    }
    let mut retried = 0;
    for task in tasks {
        retried += task.await.expect("placed");
    }
    retried
}

/// Places orders `B-0` … `B-{count-1}` as `place_orders` does, through the
/// shop's import (`POST …/orders`, 100 a call, two calls at once):
/// real order objects, placed as their webhooks would place them, without
/// a signed webhook each. For benchmarks of what follows a placement.
pub async fn import_orders(admin: &crate::admin::AdminApi, count: usize, sku: &str) {
    import_order_range(admin, 0..count, sku).await;
}

/// As `import_orders`, for orders `B-{range.start}` … `B-{range.end-1}`.
pub async fn import_order_range(
    admin: &crate::admin::AdminApi,
    range: std::ops::Range<usize>,
    sku: &str,
) {
    let count = range.end;
    let gate = Arc::new(Semaphore::new(2));
    let starts: Vec<usize> = range.step_by(100).collect();
    let mut tasks = Vec::with_capacity(starts.len());
    for start in starts {
        let (admin, gate, sku) = (admin.clone(), gate.clone(), sku.to_owned());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.expect("the gate stays open");
            let orders: Vec<serde_json::Value> = (start..count.min(start + 100))
                .map(|index| {
                    json!({"id": format!("B-{index}"), "currency": "EUR", "total": "199.00",
                           "lines": [{"sku": sku, "quantity": 1, "unit_price": "199.00"}],
                           "customer": {"id": format!("c-{index}"), "email": format!("c{index}@example.com")}})
                })
                .collect();
            let body = json!({ "orders": orders });
            let mut tries = 0;
            loop {
                // A 5xx or no answer in time is sent again, as a store would
                // (importing twice places once).
                let failed = match admin.try_post("/orders", &body).await {
                    Ok((status, _)) if status.is_success() => break,
                    Ok((status, answer)) if status.is_server_error() => format!("{status} {answer}"),
                    Ok((status, answer)) => {
                        panic!("importing orders from {start}: {status} {answer}")
                    }
                    Err(err) => err,
                };
                tries += 1;
                assert!(tries < 5, "importing orders from {start}: {failed}");
                eprintln!("  importing orders from {start}: {failed}; sending again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("imported");
    }
}
