//! What running the edge costs on Cloudflare's Workers Paid plan: the
//! platform's published prices and monthly allowances, what one backorder
//! order uses of each, and the month's bill for a number of orders. Pure
//! arithmetic: `examples/cost.rs` prints it, README's table is checked
//! against it.

/// One billed resource: what a month includes, and the price (in US
/// cents) of each `per` units beyond.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Meter {
    pub name: &'static str,
    pub unit: &'static str,
    pub included_per_month: f64,
    pub cents: f64,
    pub per: f64,
}

/// The Workers Paid plan's subscription, per account and month, in cents.
pub const PLAN_CENTS: f64 = 500.0;

/// When the prices below were read from the platform's pricing pages
/// (developers.cloudflare.com: workers/platform/pricing,
/// durable-objects/platform/pricing, kv/platform/pricing,
/// queues/platform/pricing).
pub const PRICES_READ_ON: &str = "2026-12-01";

/// The meters an order moves, with the Workers Paid plan's allowances and
/// prices as published on [`PRICES_READ_ON`].
pub const METERS: [Meter; 10] = [
    Meter {
        name: "Workers requests",
        unit: "requests",
        included_per_month: 10e6,
        cents: 30.0,
        per: 1e6,
    },
    Meter {
        name: "Workers CPU time",
        unit: "ms",
        included_per_month: 30e6,
        cents: 2.0,
        per: 1e6,
    },
    Meter {
        name: "Durable Objects requests",
        unit: "requests",
        included_per_month: 1e6,
        cents: 15.0,
        per: 1e6,
    },
    Meter {
        name: "Durable Objects duration",
        unit: "GB-s",
        included_per_month: 400e3,
        cents: 1250.0,
        per: 1e6,
    },
    Meter {
        name: "Durable Objects SQLite rows read",
        unit: "rows",
        included_per_month: 25e9,
        cents: 0.1,
        per: 1e6,
    },
    Meter {
        name: "Durable Objects SQLite rows written",
        unit: "rows",
        included_per_month: 50e6,
        cents: 100.0,
        per: 1e6,
    },
    Meter {
        name: "KV reads",
        unit: "reads",
        included_per_month: 10e6,
        cents: 50.0,
        per: 1e6,
    },
    Meter {
        name: "KV writes",
        unit: "writes",
        included_per_month: 1e6,
        cents: 500.0,
        per: 1e6,
    },
    Meter {
        name: "Queues operations",
        unit: "operations",
        included_per_month: 1e6,
        cents: 40.0,
        per: 1e6,
    },
    Meter {
        name: "Durable Objects stored data",
        unit: "GB-month",
        included_per_month: 5.0,
        cents: 20.0,
        per: 1.0,
    },
];

/// What one backorder order uses of each meter, in [`METERS`]' order, over
/// its life: placed by a store's webhook, restocked by a fan-out, shipped
/// and delivered by webhooks, three emails (receipt, restocked, shipped),
/// two back-office actions (its tags), and its order page opened five
/// times. Each count is worked out in ARCHITECTURE.md ("What an order
/// costs"); the shop's object's calls in a restock are the fan-out
/// benchmark's measured figure.
pub const PER_ORDER: [f64; 10] = [
    // Workers requests: 3 webhooks, 5 order-page reads, 5 live
    // connections, and a share of the queue consumers' batches (one
    // invocation per batch: 5 messages in batches of 50).
    13.1,
    // Workers CPU ms: the fan-out benchmark's workerd CPU per order (11.7
    // ms for a restock at 10,000 orders, every object's work included),
    // for each of the four steps.
    47.0,
    // Durable Objects requests: the order's 4 commands, 2 wake-up alarms
    // (its window's start, a nurture email), 5 live connections; the
    // shop's 3 webhooks, 10 page requests (a read and a live connection,
    // each checked there), the 2 wake-ups' index calls, and the batched
    // calls (a restock's, 0.08 measured; the two actions' claims, 0.04).
    // The shop keeps its own commands' answers (noted pending until kept),
    // so no alarm tells it again.
    26.12,
    // Durable Objects GB-s: 26 requests of 128 MB, each taken as active
    // 50 ms of wall-clock time (an upper bound: most are one SQL statement).
    0.167,
    // SQLite rows read: each command reads the order and its outbox (about
    // 10 rows), each shop call a few rows by key.
    150.0,
    // SQLite rows written: the order's record and outbox, 4 commands of
    // about 10 rows each; the shop's index, email log and action list rows
    // (with their indexes) and its request counts.
    90.0,
    // KV reads: the 5 order-page reads.
    5.0,
    // KV writes: the order's public view, once per step it takes (placed,
    // restocked, processing, shipped, delivered) and once per wake-up.
    6.0,
    // Queues operations: 5.04 messages (3 emails, 2 actions, 1/25 of a
    // fan-out batch), each written, read and deleted.
    15.12,
    // Stored GB-month: 34.9 KB per order measured after a placement and a
    // restock (the fan-out benchmark at 10,000: objects, KV, emails as
    // sent), about 50 KB with the third email, kept for a year: one
    // month's share of what a year of orders holds.
    50e3 / 1e9 * 12.0,
];

/// One line of a month's bill.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub meter: Meter,
    pub used: f64,
    pub billed_cents: f64,
}

/// A month's bill for `orders` backorder orders, each using
/// `per_order` of [`METERS`]: the plan, then each meter beyond what the
/// month includes.
pub fn monthly(orders: f64, per_order: &[f64; 10]) -> (Vec<Line>, f64) {
    let lines: Vec<Line> = METERS
        .iter()
        .zip(per_order)
        .map(|(meter, per)| {
            let used = orders * per;
            let beyond = (used - meter.included_per_month).max(0.0);
            Line {
                meter: *meter,
                used,
                billed_cents: beyond / meter.per * meter.cents,
            }
        })
        .collect();
    let total = PLAN_CENTS + lines.iter().map(|line| line.billed_cents).sum::<f64>();
    (lines, total)
}

/// Dollars and cents, rounded to the cent.
pub fn dollars(cents: f64) -> String {
    format!("${:.2}", (cents.round()) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_shop_pays_the_plan_and_nothing_more() {
        let (lines, total) = monthly(1_000.0, &PER_ORDER);
        assert!(lines.iter().all(|line| line.billed_cents == 0.0));
        assert_eq!(dollars(total), "$5.00");
    }

    #[test]
    fn beyond_an_allowance_each_million_is_billed_at_its_price() {
        // 2 million KV writes: 1 million beyond the allowance, at $5.
        let mut per_order = [0.0; 10];
        per_order[7] = 2.0;
        let (lines, total) = monthly(1e6, &per_order);
        assert_eq!(lines[7].meter.name, "KV writes");
        assert_eq!(lines[7].billed_cents, 500.0);
        assert_eq!(dollars(total), "$10.00");
        // 3 Queues operations an order for a million orders: 2 million
        // beyond, at $0.40.
        let mut per_order = [0.0; 10];
        per_order[8] = 3.0;
        assert_eq!(dollars(monthly(1e6, &per_order).1), "$5.80");
    }

    /// README's cost table is this module's arithmetic, line by line.
    #[test]
    fn the_readme_table_is_this_arithmetic() {
        let readme = include_str!("../../README.md");
        for orders in [1_000.0, 100_000.0, 1_000_000.0] {
            let (lines, total) = monthly(orders, &PER_ORDER);
            let label = format!("| {} orders |", thousands(orders));
            let row = readme
                .lines()
                .find(|line| line.starts_with(&label))
                .unwrap_or_else(|| panic!("README has no row {label}"));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let heaviest = lines
                .iter()
                .max_by(|a, b| {
                    (a.used / a.meter.included_per_month)
                        .total_cmp(&(b.used / b.meter.included_per_month))
                })
                .map(|line| line.meter.name)
                .unwrap_or_default();
            assert_eq!(cells.get(3), Some(&dollars(total).as_str()), "{row}");
            assert_eq!(cells.get(4), Some(&heaviest), "{row}");
        }
    }

    fn thousands(n: f64) -> String {
        let digits = format!("{n:.0}");
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}
