//! The supplier-slipping harness: on the first day of each month, flag the
//! suppliers whose deliveries received so far say they are slipping
//! (`shared::scorecard`), then see how the deliveries promised for the next
//! 90 days turn out: the late rate of flagged suppliers against the others,
//! and the share of those deliveries the flags cover. Prints each year, the
//! months where flagged suppliers were late at least 1.5× as often as the
//! others (the target: most months), and when the flags rose after the
//! sample data's change of regime (2009–2010, when its late rate went from
//! about 2 % to 15 %).
//!
//! ```text
//! cargo run --release -p shared --example slipping -- FILE.csv
//! ```
//!
//! The file has the columns of `shared/data/deliveries` (vendor, mode,
//! scheduled, delivered; others are ignored).

// An example fails loudly on bad files and arguments.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Instant;

use shared::Date;
use shared::estimate::Delivery;
use shared::scorecard::{CUSUM_H, CUSUM_K, scorecards};

#[derive(Debug, serde::Deserialize)]
struct Row {
    vendor: String,
    mode: String,
    scheduled: Date,
    delivered: Date,
}

const HORIZON_DAYS: i64 = 90;
const TARGET_RATIO: f64 = 1.5;

/// One month's look ahead.
struct Month {
    start: Date,
    flagged_suppliers: usize,
    /// Late and all deliveries promised in the next 90 days, of flagged
    /// and of other suppliers.
    flagged: (u32, u32),
    others: (u32, u32),
}

impl Month {
    fn rate((late, all): (u32, u32)) -> Option<f64> {
        (all > 0).then(|| f64::from(late) / f64::from(all))
    }

    /// Whether flagged suppliers were late at least 1.5× as often; `None`
    /// when one of the two groups had no delivery.
    fn meets_target(&self) -> Option<bool> {
        let (flagged, others) = (Month::rate(self.flagged)?, Month::rate(self.others)?);
        Some(if others == 0.0 {
            flagged > 0.0
        } else {
            flagged >= TARGET_RATIO * others
        })
    }

    fn share_flagged(&self) -> f64 {
        let all = self.flagged.1 + self.others.1;
        if all == 0 {
            0.0
        } else {
            f64::from(self.flagged.1) / f64::from(all)
        }
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: slipping FILE.csv (the columns of shared/data/deliveries)");
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"));
    let deliveries: Vec<Delivery> = reader
        .deserialize()
        .enumerate()
        .map(|(index, row)| {
            let row: Row = row.unwrap_or_else(|err| panic!("{path} row {}: {err}", index + 2));
            Delivery {
                supplier: row.vendor,
                mode: row.mode,
                promised: row.scheduled,
                received: row.delivered,
            }
        })
        .collect();
    let first = deliveries
        .iter()
        .map(|d| d.received)
        .min()
        .expect("a delivery");
    let last = deliveries
        .iter()
        .map(|d| d.promised)
        .max()
        .expect("a delivery");
    let first_of_month = |year: i32, month: u8| Date::from_ymd(year, month, 1).expect("a month");
    // From the first full year of history, while 90 days ahead are known.
    let mut start = first_of_month(first.year() + 1, 1);
    let mut months = Vec::new();
    let timing = Instant::now();
    while start.add_days(HORIZON_DAYS).is_some_and(|end| end <= last) {
        let flagged: Vec<String> = scorecards(&deliveries, start)
            .into_iter()
            .filter(|card| card.slipping.is_some())
            .map(|card| card.supplier)
            .collect();
        let end = start.add_days(HORIZON_DAYS).expect("a date");
        let mut month = Month {
            start,
            flagged_suppliers: flagged.len(),
            flagged: (0, 0),
            others: (0, 0),
        };
        for delivery in deliveries
            .iter()
            .filter(|d| d.promised >= start && d.promised < end)
        {
            let late = u32::from(delivery.received > delivery.promised);
            let group = if flagged.contains(&delivery.supplier) {
                &mut month.flagged
            } else {
                &mut month.others
            };
            group.0 += late;
            group.1 += 1;
        }
        months.push(month);
        start = if start.month() == 12 {
            first_of_month(start.year() + 1, 1)
        } else {
            first_of_month(start.year(), start.month() + 1)
        };
    }
    let per_month = timing.elapsed() / months.len().max(1) as u32;

    println!(
        "supplier slipping: a Bernoulli CUSUM on late deliveries per supplier (k = {CUSUM_K}, h = {CUSUM_H}), \
         flags as of each month's first day, deliveries promised in the next {HORIZON_DAYS} days"
    );
    println!(
        "{:<6} {:>7} {:>12} {:>12} {:>14} {:>14}",
        "year", "months", "flagged late", "others late", "share flagged", "months ≥ 1.5×"
    );
    let mut years: BTreeMap<i32, Vec<&Month>> = BTreeMap::new();
    for month in &months {
        years.entry(month.start.year()).or_default().push(month);
    }
    let sum = |months: &[&Month], pick: fn(&Month) -> (u32, u32)| {
        months.iter().fold((0, 0), |(late, all), month| {
            let (l, a) = pick(month);
            (late + l, all + a)
        })
    };
    let percent =
        |rate: Option<f64>| rate.map_or("—".to_owned(), |r| format!("{:.1} %", 100.0 * r));
    for (year, months) in &years {
        let judged: Vec<bool> = months.iter().filter_map(|m| m.meets_target()).collect();
        let share = months.iter().map(|m| m.share_flagged()).sum::<f64>() / months.len() as f64;
        println!(
            "{year:<6} {:>7} {:>12} {:>12} {:>13.0} % {:>9} of {}",
            months.len(),
            percent(Month::rate(sum(months, |m| m.flagged))),
            percent(Month::rate(sum(months, |m| m.others))),
            100.0 * share,
            judged.iter().filter(|met| **met).count(),
            judged.len()
        );
    }
    let all: Vec<&Month> = months.iter().collect();
    let judged: Vec<bool> = months.iter().filter_map(Month::meets_target).collect();
    let met = judged.iter().filter(|met| **met).count();
    let flagged = Month::rate(sum(&all, |m| m.flagged));
    let others = Month::rate(sum(&all, |m| m.others));
    println!(
        "all    {:>7} {:>12} {:>12} {:>13.0} % {:>9} of {}",
        months.len(),
        percent(flagged),
        percent(others),
        100.0 * months.iter().map(Month::share_flagged).sum::<f64>() / months.len().max(1) as f64,
        met,
        judged.len()
    );
    println!(
        "months with both groups where flagged suppliers were late ≥ {TARGET_RATIO}× as often: {met} of {} ({:.0} %); \
         {} months had no flagged or no other supplier due",
        judged.len(),
        100.0 * met as f64 / judged.len().max(1) as f64,
        months.len() - judged.len()
    );
    if let (Some(flagged), Some(others)) = (flagged, others) {
        println!(
            "over every month: flagged {:.1} % late, others {:.1} % ({:.1}×)",
            100.0 * flagged,
            100.0 * others,
            flagged / others
        );
    }
    // The change of regime: when flags first covered a fifth of what was due.
    let regime = Date::from_ymd(2009, 1, 1).expect("a date");
    match months
        .iter()
        .find(|m| m.start >= regime && m.flagged_suppliers > 0 && m.share_flagged() >= 0.2)
    {
        Some(month) => println!(
            "after 2009-01-01 the flags first covered a fifth of the deliveries due on {} ({} suppliers, {:.0} %)",
            month.start,
            month.flagged_suppliers,
            100.0 * month.share_flagged()
        ),
        None => println!("after 2009-01-01 the flags never covered a fifth of the deliveries due"),
    }
    println!("time: {per_month:.2?} per month's scorecards");
    assert!(
        2 * met > judged.len(),
        "flagged suppliers were late at least {TARGET_RATIO}× as often in only {met} of {} months",
        judged.len()
    );
}
