//! The worker's one clock. The core never reads time; the edge passes it in.

use shared::{Date, Timestamp};

/// Now, to the millisecond, since the Unix epoch.
pub fn now_millis() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(0)
}

/// Now, to the second, as the core counts time.
pub fn now() -> Timestamp {
    Timestamp::from_unix_seconds(now_millis() / 1000)
}

/// Today in UTC.
pub fn today() -> Date {
    now().date()
}

/// Exponential backoff with jitter: about 2, 4, 8 … seconds, at most
/// `cap` seconds (plus up to half again of jitter, so that jobs that failed
/// together do not come back together).
pub fn backoff_seconds(attempts: u32, cap: u32) -> u32 {
    let base = 2u32.saturating_pow(attempts.min(16)).min(cap);
    let jitter = u32::try_from(now_millis().rem_euclid(1000)).unwrap_or(0) * base / 2000;
    base + jitter
}
