//! "Does selling on backorder pay?": backorder customers against the
//! others, and cancellations by how late an order ran. Pure figures over
//! facts the shop keeps (issue 22; not yet served by the edge): each with
//! its group sizes and a 95 % interval, so that a small shop is not told
//! more than its orders say.

use std::collections::BTreeMap;

use crate::Date;
use crate::scorecard::wilson_interval;

/// What the shop keeps of every order, backorder or not: no contact, the
/// customer only as a keyed hash.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderFact {
    pub customer: u64,
    pub placed: Date,
    pub total_minor: i64,
    /// Whether a line of it was sold on backorder.
    pub backorder: bool,
}

/// A share with its 95 % Wilson interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    pub of: u64,
    pub share: f64,
    pub low: f64,
    pub high: f64,
}

impl Share {
    pub fn new(hits: u64, of: u64) -> Share {
        let (low, high) = wilson_interval(hits, of, 1.96);
        Share {
            of,
            share: if of == 0 {
                0.0
            } else {
                hits as f64 / of as f64
            },
            low,
            high,
        }
    }
}

/// A mean with its 95 % interval (normal approximation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mean {
    pub of: u64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

impl Mean {
    pub fn of(values: &[f64]) -> Mean {
        let n = values.len();
        if n == 0 {
            return Mean {
                of: 0,
                mean: 0.0,
                low: 0.0,
                high: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let variance = if n > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let half = 1.96 * (variance / n as f64).sqrt();
        Mean {
            of: n as u64,
            mean,
            low: mean - half,
            high: mean + half,
        }
    }
}

/// One group of customers over a period.
#[derive(Clone, Debug, PartialEq)]
pub struct Cohort {
    pub customers: u64,
    pub orders_per_customer: Mean,
    /// Came back (ordered again) within 90 and 365 days of their first
    /// order in the period, among those whose window had passed by `to`.
    pub back_within_90_days: Share,
    pub back_within_365_days: Share,
    /// Revenue per customer over the period, in minor units.
    pub revenue_per_customer: Mean,
}

/// Backorder customers (a customer whose first order in the period had a
/// line on backorder) against the others, over orders placed in
/// `[from, to)`.
pub fn compare_cohorts(orders: &[OrderFact], from: Date, to: Date) -> (Cohort, Cohort) {
    let mut by_customer: BTreeMap<u64, Vec<&OrderFact>> = BTreeMap::new();
    for order in orders.iter().filter(|o| o.placed >= from && o.placed < to) {
        by_customer.entry(order.customer).or_default().push(order);
    }
    let mut groups: [Vec<Vec<&OrderFact>>; 2] = [Vec::new(), Vec::new()];
    for (_, mut customer_orders) in by_customer {
        customer_orders.sort_by_key(|o| o.placed);
        let backorder = customer_orders.first().is_some_and(|o| o.backorder);
        groups[usize::from(backorder)].push(customer_orders);
    }
    let cohort = |customers: &[Vec<&OrderFact>]| {
        let back_within = |days: i64| {
            let judged: Vec<&Vec<&OrderFact>> = customers
                .iter()
                .filter(|orders| orders[0].placed.days_until(to) >= days)
                .collect();
            let back = judged
                .iter()
                .filter(|orders| {
                    orders[1..]
                        .iter()
                        .any(|o| orders[0].placed.days_until(o.placed) <= days)
                })
                .count();
            Share::new(back as u64, judged.len() as u64)
        };
        Cohort {
            customers: customers.len() as u64,
            orders_per_customer: Mean::of(
                &customers.iter().map(|o| o.len() as f64).collect::<Vec<_>>(),
            ),
            back_within_90_days: back_within(90),
            back_within_365_days: back_within(365),
            revenue_per_customer: Mean::of(
                &customers
                    .iter()
                    .map(|o| o.iter().map(|order| order.total_minor as f64).sum())
                    .collect::<Vec<_>>(),
            ),
        }
    };
    (cohort(&groups[1]), cohort(&groups[0]))
}

/// How a backorder order ended, for cancellations by lateness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackorderEnd {
    /// Days past the end of the first window it was promised (0 if never
    /// late).
    pub days_late: i64,
    /// How many times its window moved later.
    pub slips: u32,
    pub cancelled: bool,
}

/// The bands of lateness the figures are cut into.
pub const LATENESS_BANDS: [(&str, i64, i64); 4] = [
    ("0–7", 0, 7),
    ("8–30", 8, 30),
    ("31–60", 31, 60),
    ("60+", 61, i64::MAX),
];

/// The share cancelled in each band of lateness, in [`LATENESS_BANDS`]
/// order, and by the number of slips (0, 1, 2, 3 or more).
pub fn cancellations(ends: &[BackorderEnd]) -> (Vec<Share>, Vec<Share>) {
    let share = |pick: &dyn Fn(&BackorderEnd) -> bool| {
        let group: Vec<&BackorderEnd> = ends.iter().filter(|end| pick(end)).collect();
        Share::new(
            group.iter().filter(|end| end.cancelled).count() as u64,
            group.len() as u64,
        )
    };
    let by_lateness = LATENESS_BANDS
        .iter()
        .map(|(_, low, high)| share(&|end| end.days_late.max(0) >= *low && end.days_late <= *high))
        .collect();
    let by_slips = (0..4)
        .map(|slips| share(&|end| end.slips.min(3) == slips))
        .collect();
    (by_lateness, by_slips)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().expect("a date")
    }

    fn order(customer: u64, placed: &str, total_minor: i64, backorder: bool) -> OrderFact {
        OrderFact {
            customer,
            placed: day(placed),
            total_minor,
            backorder,
        }
    }

    #[test]
    fn wilson_intervals_are_wide_for_few_and_narrow_for_many() {
        let few = Share::new(1, 2);
        assert!((few.low - 0.095).abs() < 0.001 && (few.high - 0.905).abs() < 0.001);
        let many = Share::new(500, 1000);
        assert!(many.high - many.low < 0.07);
        assert_eq!(Share::new(0, 0).of, 0);
    }

    #[test]
    fn backorder_customers_are_compared_with_the_others_on_known_histories() {
        let orders = [
            // Customer 1: backorder first, back 30 days later.
            order(1, "2030-01-10", 10_000, true),
            order(1, "2030-02-09", 5_000, false),
            // Customer 2: backorder, never back.
            order(2, "2030-01-15", 8_000, true),
            // Customer 3: in stock, back after 200 days.
            order(3, "2030-01-05", 4_000, false),
            order(3, "2030-07-24", 4_000, false),
            // Customer 4: in stock, first order too late to judge.
            order(4, "2030-11-01", 2_000, false),
            // Outside the period.
            order(5, "2029-12-31", 99_999, true),
        ];
        let (backorder, others) = compare_cohorts(&orders, day("2030-01-01"), day("2031-01-01"));
        assert_eq!(backorder.customers, 2);
        assert_eq!(backorder.orders_per_customer.mean, 1.5);
        assert_eq!(backorder.back_within_90_days.share, 0.5);
        assert_eq!(backorder.revenue_per_customer.mean, 11_500.0);
        assert_eq!(others.customers, 2);
        // Customer 3 came back after 200 days: not within 90. Customer 4's
        // 90 days had not passed by the period's end, nor had anyone's 365
        // (customer 3's first order is 361 days before it): not judged.
        assert_eq!(others.back_within_90_days.share, 0.0);
        assert_eq!(others.back_within_90_days.of, 1);
        assert_eq!(others.back_within_365_days.of, 0);
        assert_eq!(backorder.back_within_365_days.of, 0);
        assert_eq!(others.revenue_per_customer.mean, 5_000.0);
    }

    #[test]
    fn cancellations_rise_with_lateness_in_their_bands() {
        let end = |days_late, slips, cancelled| BackorderEnd {
            days_late,
            slips,
            cancelled,
        };
        let ends = [
            end(0, 0, false),
            end(5, 0, false),
            end(20, 1, false),
            end(20, 1, true),
            end(40, 2, true),
            end(90, 4, true),
            end(61, 3, false),
        ];
        let (by_lateness, by_slips) = cancellations(&ends);
        let shares: Vec<(u64, f64)> = by_lateness.iter().map(|s| (s.of, s.share)).collect();
        assert_eq!(shares, [(2, 0.0), (2, 0.5), (1, 1.0), (2, 0.5)]);
        let shares: Vec<(u64, f64)> = by_slips.iter().map(|s| (s.of, s.share)).collect();
        assert_eq!(shares, [(2, 0.0), (2, 0.5), (1, 1.0), (2, 0.5)]);
    }
}
