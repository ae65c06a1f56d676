//! The worker's one clock. The core never reads time; the edge passes it in.

use shared::Date;

/// Today in UTC.
pub fn today() -> Date {
    let days = worker::Date::now().as_millis() / 86_400_000;
    Date::from_days_since_epoch(i64::try_from(days).unwrap_or(0)).unwrap_or(Date::MIN)
}
