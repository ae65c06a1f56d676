//! "Does selling on backorder pay?": backorder customers against the
//! others, and cancellations by how late an order ran. Pure figures over
//! facts the shop keeps (issue 22; not yet served by the edge): each with
//! its group sizes and a 95 % interval, so that a small shop is not told
//! more than its orders say.

use std::collections::BTreeMap;

use crate::Date;
use crate::lifecycle::OptionKind;
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

/// One customer's orders over a period, as the cohorts read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerOrders {
    pub first: Date,
    /// The day of their next order, if they came back.
    pub second: Option<Date>,
    pub orders: u64,
    pub revenue_minor: i64,
    /// Whether their first order had a line on backorder.
    pub first_backorder: bool,
}

/// Backorder customers (a customer whose first order in the period had a
/// line on backorder) against the others, over orders placed in
/// `[from, to)`.
pub fn compare_cohorts(orders: &[OrderFact], from: Date, to: Date) -> (Cohort, Cohort) {
    let mut by_customer: BTreeMap<u64, Vec<&OrderFact>> = BTreeMap::new();
    for order in orders.iter().filter(|o| o.placed >= from && o.placed < to) {
        by_customer.entry(order.customer).or_default().push(order);
    }
    let customers: Vec<CustomerOrders> = by_customer
        .into_values()
        .filter_map(|mut orders| {
            orders.sort_by_key(|o| o.placed);
            let first = orders.first()?;
            Some(CustomerOrders {
                first: first.placed,
                second: orders.get(1).map(|o| o.placed),
                orders: orders.len() as u64,
                revenue_minor: orders.iter().map(|o| o.total_minor).sum(),
                first_backorder: first.backorder,
            })
        })
        .collect();
    compare_customers(&customers, to)
}

/// The two cohorts from each customer's summary over a period ending
/// before `to` (the shop's object has SQL sum its orders up first).
pub fn compare_customers(customers: &[CustomerOrders], to: Date) -> (Cohort, Cohort) {
    let cohort = |backorder: bool| {
        let group: Vec<&CustomerOrders> = customers
            .iter()
            .filter(|c| c.first_backorder == backorder)
            .collect();
        let back_within = |days: i64| {
            let judged: Vec<&&CustomerOrders> = group
                .iter()
                .filter(|c| c.first.days_until(to) >= days)
                .collect();
            let back = judged
                .iter()
                .filter(|c| {
                    c.second
                        .is_some_and(|second| c.first.days_until(second) <= days)
                })
                .count();
            Share::new(back as u64, judged.len() as u64)
        };
        Cohort {
            customers: group.len() as u64,
            orders_per_customer: Mean::of(
                &group.iter().map(|c| c.orders as f64).collect::<Vec<_>>(),
            ),
            back_within_90_days: back_within(90),
            back_within_365_days: back_within(365),
            revenue_per_customer: Mean::of(
                &group
                    .iter()
                    .map(|c| c.revenue_minor as f64)
                    .collect::<Vec<_>>(),
            ),
        }
    };
    (cohort(true), cohort(false))
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

/// One backorder order as the shop's records keep it: no contact.
#[derive(Clone, Debug, PartialEq)]
pub struct BackorderRecord {
    pub placed: Date,
    /// The ship-by date first promised.
    pub promised_by: Date,
    /// The ship-by date in force; `None` when the newest notice said it is
    /// unknown.
    pub ship_by: Option<Date>,
    /// How many times its window moved later.
    pub slips: u32,
    /// When and how it stopped waiting for good, if it has.
    pub settled: Option<(Date, Settled)>,
    /// What was paid and what was given back (refunds and credit), in
    /// minor units.
    pub paid_minor: i64,
    pub returned_minor: i64,
    /// The lines sold on backorder: SKU, units and value in minor units.
    pub backordered: Vec<(String, u32, i64)>,
    /// The SKUs of those still waiting for stock.
    pub waiting: Vec<String>,
    pub offers: Vec<OfferRecord>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    Shipped,
    Cancelled,
}

/// An offer the order put before its customer and how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferRecord {
    pub opened: Date,
    pub end: OfferEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferEnd {
    Open,
    Chosen(OptionKind),
    /// Nobody answered in time.
    Lapsed,
    /// Replaced by a newer offer, or withdrawn because the order stopped
    /// waiting.
    Replaced,
}

impl BackorderRecord {
    /// Days past the first promise: for a shipped order, when it shipped;
    /// for one cancelled or still waiting, the later of that day (or
    /// `today`) and the date then promised, since what a customer weighs is
    /// the delay announced. Never below 0.
    pub fn days_late(&self, today: Date) -> i64 {
        let (until, shipped) = match self.settled {
            Some((day, Settled::Shipped)) => (day, true),
            Some((day, Settled::Cancelled)) => (day, false),
            None => (today, false),
        };
        let announced = match (shipped, self.ship_by) {
            (false, Some(ship_by)) => self.promised_by.days_until(ship_by),
            _ => 0,
        };
        self.promised_by.days_until(until).max(announced).max(0)
    }

    fn end(&self, today: Date) -> BackorderEnd {
        BackorderEnd {
            days_late: self.days_late(today),
            slips: self.slips,
            cancelled: matches!(self.settled, Some((_, Settled::Cancelled))),
        }
    }
}

/// How each kind of choice fared in one month (by the day the offer
/// opened).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MonthOfChoices {
    /// `YYYY-MM`.
    pub month: String,
    /// Chosen, in [`OptionKind::ALL`] order.
    pub chosen: [u64; 5],
    pub lapsed: u64,
    pub open: u64,
}

/// Whether orders shipped by the date first promised.
#[derive(Clone, Debug, PartialEq)]
pub struct Accuracy {
    pub shipped: u64,
    /// Shipped on or before the first promise, with its interval.
    pub on_time: Share,
    pub mean_days_late: f64,
    pub p90_days_late: i64,
}

/// Waiting times in days: median, 90th percentile and longest.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Waits {
    pub orders: u64,
    pub median_days: i64,
    pub p90_days: i64,
    pub longest_days: i64,
}

impl Waits {
    fn of(mut days: Vec<i64>) -> Waits {
        days.sort_unstable();
        Waits {
            orders: days.len() as u64,
            median_days: nearest_rank(&days, 0.5),
            p90_days: nearest_rank(&days, 0.9),
            longest_days: days.last().copied().unwrap_or(0),
        }
    }
}

/// The nearest-rank percentile of sorted values; 0 for none.
fn nearest_rank(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Units and value customers wait for, per SKU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    pub sku: String,
    pub orders: u64,
    pub units: u64,
    pub value_minor: i64,
}

/// Everything the backorder orders of a period say.
#[derive(Clone, Debug, PartialEq)]
pub struct BackorderFigures {
    /// Orders placed in the period.
    pub orders: u64,
    /// Cancelled shares by [`LATENESS_BANDS`] and by slips (0, 1, 2, 3+),
    /// over the period's orders that settled.
    pub cancelled_by_lateness: Vec<Share>,
    pub cancelled_by_slips: Vec<Share>,
    pub choices: Vec<MonthOfChoices>,
    /// What the period's orders kept (paid less given back) and gave back.
    pub revenue_kept_minor: i64,
    pub revenue_returned_minor: i64,
    pub accuracy: Accuracy,
    /// Per SKU, the period's shipped orders that held it; per supplier,
    /// those that held one of its SKUs.
    pub accuracy_by_sku: Vec<(String, Accuracy)>,
    pub accuracy_by_supplier: Vec<(String, Accuracy)>,
    /// Orders waiting on `today` (any period), and how long the period's
    /// settled orders waited.
    pub waiting_now: Waits,
    pub waited: Waits,
    /// What open orders wait for now, most units first.
    pub demand: Vec<Demand>,
}

/// The figures of backorder orders placed in `[from, to)`, as of `today`;
/// `suppliers` names each SKU's supplier, where the shop knows it.
pub fn backorder_figures(
    records: &[BackorderRecord],
    suppliers: &BTreeMap<String, String>,
    from: Date,
    to: Date,
    today: Date,
) -> BackorderFigures {
    let in_period: Vec<&BackorderRecord> = records
        .iter()
        .filter(|r| r.placed >= from && r.placed < to)
        .collect();
    let settled: Vec<BackorderEnd> = in_period
        .iter()
        .filter(|r| r.settled.is_some())
        .map(|r| r.end(today))
        .collect();
    let (cancelled_by_lateness, cancelled_by_slips) = cancellations(&settled);

    let mut months: BTreeMap<String, MonthOfChoices> = BTreeMap::new();
    for offer in in_period.iter().flat_map(|r| &r.offers) {
        let month: String = offer.opened.to_string().chars().take(7).collect();
        let entry = months
            .entry(month.clone())
            .or_insert_with(|| MonthOfChoices {
                month,
                ..MonthOfChoices::default()
            });
        match offer.end {
            OfferEnd::Chosen(kind) => {
                if let Some(i) = OptionKind::ALL.iter().position(|k| *k == kind) {
                    entry.chosen[i] += 1;
                }
            }
            OfferEnd::Lapsed => entry.lapsed += 1,
            OfferEnd::Open => entry.open += 1,
            OfferEnd::Replaced => {}
        }
    }

    let shipped: Vec<&&BackorderRecord> = in_period
        .iter()
        .filter(|r| matches!(r.settled, Some((_, Settled::Shipped))))
        .collect();
    let accuracy = |orders: &[&&BackorderRecord]| {
        let mut late: Vec<i64> = orders.iter().map(|r| r.days_late(today)).collect();
        late.sort_unstable();
        let on_time = late.iter().filter(|&&days| days == 0).count() as u64;
        Accuracy {
            shipped: late.len() as u64,
            on_time: Share::new(on_time, late.len() as u64),
            mean_days_late: if late.is_empty() {
                0.0
            } else {
                late.iter().sum::<i64>() as f64 / late.len() as f64
            },
            p90_days_late: nearest_rank(&late, 0.9),
        }
    };
    let mut by_sku: BTreeMap<&str, Vec<&&BackorderRecord>> = BTreeMap::new();
    let mut by_supplier: BTreeMap<&str, Vec<&&BackorderRecord>> = BTreeMap::new();
    for record in &shipped {
        let mut its_suppliers: Vec<&str> = Vec::new();
        for (sku, _, _) in &record.backordered {
            by_sku.entry(sku).or_default().push(record);
            if let Some(supplier) = suppliers.get(sku)
                && !its_suppliers.contains(&supplier.as_str())
            {
                its_suppliers.push(supplier);
            }
        }
        for supplier in its_suppliers {
            by_supplier.entry(supplier).or_default().push(record);
        }
    }

    let mut demand: BTreeMap<&str, Demand> = BTreeMap::new();
    for record in records.iter().filter(|r| r.settled.is_none()) {
        let waiting = record
            .backordered
            .iter()
            .filter(|(sku, _, _)| record.waiting.contains(sku));
        for (sku, units, value) in waiting {
            let entry = demand.entry(sku).or_insert_with(|| Demand {
                sku: sku.clone(),
                orders: 0,
                units: 0,
                value_minor: 0,
            });
            entry.orders += 1;
            entry.units += u64::from(*units);
            entry.value_minor += value;
        }
    }
    let mut demand: Vec<Demand> = demand.into_values().collect();
    demand.sort_by(|a, b| b.units.cmp(&a.units).then_with(|| a.sku.cmp(&b.sku)));

    BackorderFigures {
        orders: in_period.len() as u64,
        cancelled_by_lateness,
        cancelled_by_slips,
        choices: months.into_values().collect(),
        revenue_kept_minor: in_period
            .iter()
            .map(|r| (r.paid_minor - r.returned_minor).max(0))
            .sum(),
        revenue_returned_minor: in_period.iter().map(|r| r.returned_minor).sum(),
        accuracy: accuracy(&shipped),
        accuracy_by_sku: by_sku
            .into_iter()
            .map(|(sku, orders)| (sku.to_string(), accuracy(&orders)))
            .collect(),
        accuracy_by_supplier: by_supplier
            .into_iter()
            .map(|(supplier, orders)| (supplier.to_string(), accuracy(&orders)))
            .collect(),
        waiting_now: Waits::of(
            records
                .iter()
                .filter(|r| r.settled.is_none())
                .map(|r| r.placed.days_until(today).max(0))
                .collect(),
        ),
        waited: Waits::of(
            in_period
                .iter()
                .filter_map(|r| r.settled.map(|(day, _)| r.placed.days_until(day).max(0)))
                .collect(),
        ),
        demand,
    }
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
        // None or all: the interval holds the share, whatever the rounding.
        for n in 1..200 {
            assert_eq!(Share::new(0, n).low, 0.0, "0 of {n}");
            assert_eq!(Share::new(n, n).high, 1.0, "{n} of {n}");
        }
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

    fn record(placed: &str, promised_by: &str) -> BackorderRecord {
        BackorderRecord {
            placed: day(placed),
            promised_by: day(promised_by),
            ship_by: Some(day(promised_by)),
            slips: 0,
            settled: None,
            paid_minor: 10_000,
            returned_minor: 0,
            backordered: vec![("TENT".into(), 1, 8_000)],
            waiting: vec!["TENT".into()],
            offers: Vec::new(),
        }
    }

    #[test]
    fn lateness_counts_the_announced_delay_for_a_cancellation_and_the_ship_day_for_a_shipment() {
        let today = day("2030-03-01");
        let mut cancelled = record("2030-01-01", "2030-01-20");
        cancelled.ship_by = Some(day("2030-03-01"));
        cancelled.slips = 1;
        cancelled.settled = Some((day("2030-01-25"), Settled::Cancelled));
        assert_eq!(cancelled.days_late(today), 40);
        let mut shipped = record("2030-01-01", "2030-01-20");
        shipped.ship_by = Some(day("2030-03-01"));
        shipped.settled = Some((day("2030-01-23"), Settled::Shipped));
        assert_eq!(shipped.days_late(today), 3);
        let early = BackorderRecord {
            settled: Some((day("2030-01-10"), Settled::Shipped)),
            ..record("2030-01-01", "2030-01-20")
        };
        assert_eq!(early.days_late(today), 0);
        // Still waiting, promised for a day already past.
        assert_eq!(record("2030-01-01", "2030-02-19").days_late(today), 10);
    }

    #[test]
    fn backorder_figures_on_a_known_history() {
        let today = day("2030-03-01");
        let mut cancelled = record("2030-01-01", "2030-01-20");
        cancelled.ship_by = Some(day("2030-03-01"));
        cancelled.slips = 1;
        cancelled.settled = Some((day("2030-01-25"), Settled::Cancelled));
        cancelled.returned_minor = 10_000;
        cancelled.waiting = Vec::new();
        cancelled.offers = vec![OfferRecord {
            opened: day("2030-01-21"),
            end: OfferEnd::Chosen(OptionKind::Cancel),
        }];
        let mut on_time = record("2030-01-02", "2030-01-20");
        on_time.settled = Some((day("2030-01-19"), Settled::Shipped));
        on_time.waiting = Vec::new();
        let mut late = record("2030-01-03", "2030-01-20");
        late.settled = Some((day("2030-01-30"), Settled::Shipped));
        late.waiting = Vec::new();
        late.offers = vec![OfferRecord {
            opened: day("2030-01-21"),
            end: OfferEnd::Lapsed,
        }];
        let open = BackorderRecord {
            backordered: vec![("LAMP".into(), 3, 6_000), ("MUG".into(), 1, 900)],
            // The mug came in already.
            waiting: vec!["LAMP".into()],
            ..record("2030-02-10", "2030-03-10")
        };
        let before = record("2029-12-01", "2029-12-20");
        let records = [cancelled, on_time, late, open, before];

        let suppliers = BTreeMap::from([("TENT".to_string(), "Ridge".to_string())]);
        let figures = backorder_figures(
            &records,
            &suppliers,
            day("2030-01-01"),
            day("2030-03-01"),
            today,
        );
        assert_eq!(figures.orders, 4);
        let lateness: Vec<(u64, f64)> = figures
            .cancelled_by_lateness
            .iter()
            .map(|s| (s.of, s.share))
            .collect();
        // On time: 1 shipped; 8–30: none; 31–60: the cancellation (40
        // days announced); the 10-day-late shipment is in 8–30.
        assert_eq!(lateness, [(1, 0.0), (1, 0.0), (1, 1.0), (0, 0.0)]);
        assert_eq!(figures.choices.len(), 1);
        assert_eq!(figures.choices[0].month, "2030-01");
        assert_eq!(figures.choices[0].chosen, [0, 0, 0, 0, 1]);
        assert_eq!(figures.choices[0].lapsed, 1);
        assert_eq!(figures.revenue_kept_minor, 30_000);
        assert_eq!(figures.revenue_returned_minor, 10_000);
        assert_eq!(figures.accuracy.shipped, 2);
        assert_eq!(figures.accuracy.on_time.share, 0.5);
        assert_eq!(figures.accuracy.mean_days_late, 5.0);
        assert_eq!(figures.accuracy.p90_days_late, 10);
        assert_eq!(figures.accuracy_by_sku.len(), 1);
        assert_eq!(figures.accuracy_by_supplier.len(), 1);
        assert_eq!(figures.accuracy_by_supplier[0].0, "Ridge");
        assert_eq!(figures.accuracy_by_supplier[0].1, figures.accuracy);
        // Waiting now: the open order (19 days) and the one before the
        // period (90 days); settled in the period: 24, 17 and 27 days.
        assert_eq!(
            (
                figures.waiting_now.orders,
                figures.waiting_now.median_days,
                figures.waiting_now.longest_days
            ),
            (2, 19, 90)
        );
        assert_eq!(
            (figures.waited.median_days, figures.waited.p90_days),
            (24, 27)
        );
        assert_eq!(
            figures.demand,
            [
                Demand {
                    sku: "LAMP".into(),
                    orders: 1,
                    units: 3,
                    value_minor: 6_000
                },
                Demand {
                    sku: "TENT".into(),
                    orders: 1,
                    units: 1,
                    value_minor: 8_000
                },
            ]
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn facts() -> impl Strategy<Value = Vec<OrderFact>> {
            prop::collection::vec((0u64..12, 0i64..500, 0i64..50_000, any::<bool>()), 0..60)
                .prop_map(|orders| {
                    orders
                        .into_iter()
                        .map(|(customer, day, total_minor, backorder)| OrderFact {
                            customer,
                            placed: day_of(day),
                            total_minor,
                            backorder,
                        })
                        .collect()
                })
        }

        fn day_of(offset: i64) -> Date {
            day("2030-01-01")
                .add_days(offset)
                .unwrap_or(day("2030-01-01"))
        }

        proptest! {
            /// Every customer of the period is in exactly one cohort, and
            /// the cohorts' orders and revenue add up to the period's.
            #[test]
            fn cohorts_split_the_periods_customers_orders_and_revenue(
                orders in facts(),
                from in 0i64..250,
                length in 1i64..400,
            ) {
                let (from, to) = (day_of(from), day_of(from + length));
                let in_period: Vec<&OrderFact> =
                    orders.iter().filter(|o| o.placed >= from && o.placed < to).collect();
                let mut customers: Vec<u64> = in_period.iter().map(|o| o.customer).collect();
                customers.sort_unstable();
                customers.dedup();
                let (backorder, others) = compare_cohorts(&orders, from, to);
                prop_assert_eq!(backorder.customers + others.customers, customers.len() as u64);
                let sum = |cohort: &Cohort, mean: &Mean| mean.mean * cohort.customers as f64;
                let orders_counted = sum(&backorder, &backorder.orders_per_customer)
                    + sum(&others, &others.orders_per_customer);
                prop_assert!((orders_counted - in_period.len() as f64).abs() < 1e-6);
                let revenue = sum(&backorder, &backorder.revenue_per_customer)
                    + sum(&others, &others.revenue_per_customer);
                let expected: i64 = in_period.iter().map(|o| o.total_minor).sum();
                prop_assert!((revenue - expected as f64).abs() < 1e-3 * (1.0 + expected as f64));
                for share in [
                    backorder.back_within_90_days,
                    backorder.back_within_365_days,
                    others.back_within_90_days,
                    others.back_within_365_days,
                ] {
                    prop_assert!(share.low <= share.share && share.share <= share.high);
                    prop_assert!(share.of <= customers.len() as u64);
                }
                // A customer judged over 365 days is judged over 90 too.
                prop_assert!(backorder.back_within_365_days.of <= backorder.back_within_90_days.of);
            }
        }
    }
}
