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
