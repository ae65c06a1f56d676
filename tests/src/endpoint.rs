//! The merchant's back office as an outbound webhook endpoint: a local HTTP
//! server that checks each delivery with the `standardwebhooks` reference
//! crate and the signing secret the edge gave, and refuses the first
//! `fail_first` deliveries with a 500, as a flaky back office would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::Value;

/// One delivery the endpoint accepted.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub body: Value,
}

#[derive(Debug, Default)]
struct Log {
    accepted: Vec<Received>,
    refused: usize,
    bad_signatures: usize,
}

/// A running endpoint; it stops when dropped.
pub struct Endpoint {
    url: String,
    server: Arc<tiny_http::Server>,
    log: Arc<Mutex<Log>>,
    secret: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Endpoint {
    pub fn start(fail_first: usize) -> Endpoint {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("a loopback port"));
        let port = server
            .server_addr()
            .to_ip()
            .map(|address| address.port())
            .expect("an IP address");
        let log = Arc::new(Mutex::new(Log::default()));
        let secret: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let thread = {
            let (server, log, secret) = (server.clone(), log.clone(), secret.clone());
            std::thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    let headers: HashMap<String, String> = request
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_lowercase(),
                                h.value.to_string(),
                            )
                        })
                        .collect();
                    let status = answer(&log, &secret, &headers, &body, fail_first);
                    let _ = request.respond(tiny_http::Response::empty(status));
                }
            })
        };
        Endpoint {
            url: format!("http://127.0.0.1:{port}/backorder-actions"),
            server,
            log,
            secret,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The secret to check signatures with, as the edge gave it.
    pub fn trust(&self, secret: &str) {
        if let Ok(mut slot) = self.secret.lock() {
            *slot = Some(secret.to_owned());
        }
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.log
            .lock()
            .map(|log| log.accepted.clone())
            .unwrap_or_default()
    }

    pub fn refused(&self) -> usize {
        self.log.lock().map(|log| log.refused).unwrap_or_default()
    }

    pub fn bad_signatures(&self) -> usize {
        self.log
            .lock()
            .map(|log| log.bad_signatures)
            .unwrap_or_default()
    }
}

fn answer(
    log: &Mutex<Log>,
    secret: &Mutex<Option<String>>,
    headers: &HashMap<String, String>,
    body: &str,
    fail_first: usize,
) -> u16 {
    let Ok(mut log) = log.lock() else {
        return 500;
    };
    let secret = secret
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .unwrap_or_default();
    let verified = standardwebhooks::Webhook::new(&secret).is_ok_and(|webhook| {
        let mut map = http::HeaderMap::new();
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            if let (Some(value), Ok(name)) = (
                headers
                    .get(name)
                    .and_then(|v| http::HeaderValue::from_str(v).ok()),
                http::HeaderName::from_bytes(name.as_bytes()),
            ) {
                map.insert(name, value);
            }
        }
        webhook.verify(body.as_bytes(), &map).is_ok()
    });
    if !verified {
        log.bad_signatures += 1;
        return 401;
    }
    if log.refused < fail_first {
        log.refused += 1;
        return 500;
    }
    log.accepted.push(Received {
        id: headers.get("webhook-id").cloned().unwrap_or_default(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    });
    200
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
