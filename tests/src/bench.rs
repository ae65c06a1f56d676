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
