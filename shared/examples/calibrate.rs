//! The evaluation harness for ship-window estimates: how often the supplier
//! arrival window holds the actual arrival (coverage), how wide it is, and
//! its interval (Winkler) score, for the estimator and three baselines.
//!
//! ```text
//! cargo run --release -p shared --example calibrate -- --train A.csv [--test B.csv | --static-years [--from-month M]] [--json]
//! ```
//!
//! With `--test`, it fits on A and scores on B. With `--train` alone it does
//! a rolling-origin evaluation: for each month, fit on every delivery received
//! before the month began and predict the deliveries scheduled in it. With
//! `--static-years` it fits once on everything received before 1 January of
//! each year (after the first full year of history) and scores that whole
//! year with no updates, as a merchant who stops feeding deliveries would
//! get; it prints each year and the average over the years. `--from-month 7`
//! starts those years on 1 July instead, to check that what holds does not
//! hang on one calendar.
//! The files have the columns of `shared/data/deliveries` (vendor, mode,
//! scheduled, delivered; others are ignored).

// An example fails loudly on bad files and arguments.
#![allow(clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use shared::Date;
use shared::estimate::{Confidence, Delivery, DeliveryHistory};

#[derive(Debug, serde::Deserialize)]
struct Row {
    vendor: String,
    mode: String,
    scheduled: Date,
    delivered: Date,
}

impl Row {
    fn delivery(&self) -> Delivery {
        Delivery {
            supplier: self.vendor.clone(),
            mode: self.mode.clone(),
            promised: self.scheduled,
            received: self.delivered,
        }
    }

    fn slip(&self) -> i64 {
        self.scheduled.days_until(self.delivered)
    }
}

fn read(path: &PathBuf) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    reader
        .deserialize()
        .enumerate()
        .map(|(index, row)| {
            row.unwrap_or_else(|err| panic!("{} row {}: {err}", path.display(), index + 2))
        })
        .collect()
}

/// A way of predicting arrival as days around the promised date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    /// The promised date as it is: a one-day window.
    Promised,
    /// The promised date plus a fixed buffer tuned on the training data.
    Buffer,
    /// Global empirical quantiles of slip.
    Global,
    Estimator,
}

const METHODS: [Method; 4] = [
    Method::Promised,
    Method::Buffer,
    Method::Global,
    Method::Estimator,
];

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Promised => "promised",
            Method::Buffer => "buffer",
            Method::Global => "global_quantiles",
            Method::Estimator => "estimator",
        }
    }
}

/// The interval (Winkler) score of `[low, high]` for `actual` at miss rate `alpha`.
fn interval_score(low: i64, high: i64, actual: i64, alpha: f64) -> f64 {
    let mut score = (high - low) as f64;
    if actual < low {
        score += 2.0 / alpha * (low - actual) as f64;
    }
    if actual > high {
        score += 2.0 / alpha * (actual - high) as f64;
    }
    score
}

/// What the baselines learn from the training rows.
struct Baselines {
    /// Sorted slips.
    slips: Vec<i64>,
}

impl Baselines {
    fn quantile(&self, share: f64) -> i64 {
        let count = self.slips.len();
        if count == 0 {
            return 0;
        }
        let rank = ((share * count as f64).ceil() as usize).clamp(1, count);
        self.slips[rank - 1]
    }

    /// The buffer (0 to 180 days) with the best training interval score.
    fn buffer(&self, alpha: f64) -> i64 {
        (0..=180)
            .map(|buffer| {
                let total: f64 = self
                    .slips
                    .iter()
                    .map(|&s| interval_score(0, buffer, s, alpha))
                    .sum();
                (buffer, total)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |(buffer, _)| buffer)
    }
}

#[derive(Default, Clone, Copy)]
struct Tally {
    predictions: u64,
    covered: u64,
    width: f64,
    score: f64,
}

impl Tally {
    fn add(&mut self, (low, high): (i64, i64), actual: i64, alpha: f64) {
        self.predictions += 1;
        self.covered += u64::from(low <= actual && actual <= high);
        self.width += (high - low) as f64;
        self.score += interval_score(low, high, actual, alpha);
    }

    fn mean(&self, value: f64) -> f64 {
        value / self.predictions.max(1) as f64
    }
}

/// Buckets of days ahead: up to 30, 90, 180, and beyond.
const HORIZONS: [i64; 4] = [30, 90, 180, i64::MAX];

fn horizon_bucket(ahead: i64) -> usize {
    HORIZONS
        .iter()
        .position(|&limit| ahead <= limit)
        .unwrap_or(HORIZONS.len() - 1)
}

/// Scores one batch of predictions, made with what was learnt so far.
struct Scorer {
    tallies: Vec<[Tally; 4]>,
    /// The estimator's tallies by how far ahead the promised date was.
    horizons: Vec<[Tally; HORIZONS.len()]>,
    /// Time spent in the estimator's windows.
    estimating: Duration,
}

impl Scorer {
    fn new() -> Scorer {
        Scorer {
            tallies: vec![[Tally::default(); 4]; 2],
            horizons: vec![[Tally::default(); HORIZONS.len()]; 2],
            estimating: Duration::ZERO,
        }
    }

    /// How many windows the estimator gave.
    fn windows(&self) -> u64 {
        self.tallies.iter().map(|level| level[3].predictions).sum()
    }

    /// Microseconds per estimated window.
    fn micros_per_window(&self) -> f64 {
        micros_per(self.estimating, self.windows())
    }

    fn predict(
        &mut self,
        history: &DeliveryHistory,
        baselines: &Baselines,
        today: Date,
        rows: &[&Row],
    ) {
        for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
            let alpha = confidence.miss_rate();
            let buffer = baselines.buffer(alpha);
            let global = (
                baselines.quantile(alpha / 2.0),
                baselines.quantile(1.0 - alpha / 2.0),
            );
            for row in rows {
                for (method_index, method) in METHODS.into_iter().enumerate() {
                    let window = match method {
                        Method::Promised => (0, 0),
                        Method::Buffer => (0, buffer),
                        Method::Global => global,
                        Method::Estimator => {
                            let started = Instant::now();
                            let offsets = history.arrival_offsets(
                                &row.vendor,
                                &row.mode,
                                confidence,
                                today,
                                row.scheduled,
                            );
                            self.estimating += started.elapsed();
                            offsets.map_or((0, 0), |o| (o.earliest_days, o.latest_days))
                        }
                    };
                    self.tallies[level_index][method_index].add(window, row.slip(), alpha);
                    if method == Method::Estimator {
                        let bucket = horizon_bucket(today.days_until(row.scheduled));
                        self.horizons[level_index][bucket].add(window, row.slip(), alpha);
                    }
                }
            }
        }
    }
}

fn main() {
    let mut train = None;
    let mut test = None;
    let mut json = false;
    let mut static_years = false;
    let mut from_month = 1;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--train" => train = args.next().map(PathBuf::from),
            "--test" => test = args.next().map(PathBuf::from),
            "--json" => json = true,
            "--static-years" => static_years = true,
            "--from-month" => {
                from_month = args
                    .next()
                    .and_then(|month| month.parse().ok())
                    .filter(|month| (1..=12).contains(month))
                    .expect("--from-month takes a month, 1 to 12");
            }
            other => {
                panic!(
                    "unknown argument {other:?}; usage: --train A.csv [--test B.csv | --static-years [--from-month M]] [--json]"
                )
            }
        }
    }
    let train = read(&train.expect("--train A.csv is required"));
    let mut learnt: Vec<&Row> = train.iter().collect();
    learnt.sort_by_key(|row| row.delivered);
    if static_years {
        run_static_years(&train, &learnt, from_month, json);
        return;
    }

    let mut scorer = Scorer::new();
    let mut history = DeliveryHistory::default();
    let mut slips = Vec::new();
    let description;
    match &test {
        Some(path) => {
            let test = read(path);
            for row in &learnt {
                history.record(&row.delivery());
                slips.push(row.slip());
            }
            slips.sort_unstable();
            let today = learnt.last().map_or(Date::MIN, |row| row.delivered);
            let rows: Vec<&Row> = test.iter().collect();
            scorer.predict(&history, &Baselines { slips }, today, &rows);
            description = format!(
                "fit on {} deliveries, scored on {} from {}",
                train.len(),
                test.len(),
                path.display()
            );
        }
        None => {
            let (first, last) = span(&train, |r| r.scheduled);
            // A year of history before the first prediction.
            let mut month = first_of_month(first.add_days(365).expect("in range"));
            let mut next_to_learn = 0;
            let mut months = 0;
            while month <= last {
                let following = next_month(month);
                while next_to_learn < learnt.len() && learnt[next_to_learn].delivered < month {
                    history.record(&learnt[next_to_learn].delivery());
                    slips.push(learnt[next_to_learn].slip());
                    next_to_learn += 1;
                }
                let mut sorted = slips.clone();
                sorted.sort_unstable();
                let rows: Vec<&Row> = train
                    .iter()
                    .filter(|r| month <= r.scheduled && r.scheduled < following)
                    .collect();
                scorer.predict(&history, &Baselines { slips: sorted }, month, &rows);
                months += 1;
                month = following;
            }
            description = format!(
                "rolling origin over {months} months from {}: each month predicted from the deliveries received before it",
                first_of_month(first.add_days(365).expect("in range"))
            );
        }
    }

    if json {
        for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
            for (method_index, method) in METHODS.into_iter().enumerate() {
                let tally = scorer.tallies[level_index][method_index];
                println!(
                    "{}",
                    serde_json::json!({
                        "method": method.name(),
                        "level": f64::from(confidence.percent()) / 100.0,
                        "coverage": tally.mean(tally.covered as f64),
                        "mean_width_days": tally.mean(tally.width),
                        "interval_score": tally.mean(tally.score),
                        "predictions": tally.predictions,
                    })
                );
            }
        }
        return;
    }
    println!("{description}");
    println!(
        "{:<6} {:<17} {:>9} {:>11} {:>15}",
        "level", "method", "coverage", "mean width", "interval score"
    );
    for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
        let tallies = &scorer.tallies[level_index];
        for (method_index, method) in METHODS.into_iter().enumerate() {
            let tally = tallies[method_index];
            println!(
                "{:<6} {:<17} {:>8.1}% {:>9.1} d {:>13.1} d",
                format!("{}%", confidence.percent()),
                method.name(),
                100.0 * tally.mean(tally.covered as f64),
                tally.mean(tally.width),
                tally.mean(tally.score),
            );
        }
        let best_baseline = tallies[..3]
            .iter()
            .map(|t| t.mean(t.score))
            .fold(f64::INFINITY, f64::min);
        let estimator = tallies[3].mean(tallies[3].score);
        let better = 1.0 - estimator / best_baseline;
        println!(
            "       estimator's interval score is {:.1}% better than the best baseline's",
            100.0 * better
        );
        if test.is_none() {
            let nominal = f64::from(confidence.percent()) / 100.0;
            let held = (tallies[3].mean(tallies[3].covered as f64) - nominal).abs() <= 0.02;
            println!(
                "       targets: coverage within 2 points of {}%: {}; score at least 30% better: {}",
                confidence.percent(),
                verdict(held),
                verdict(better >= 0.30),
            );
        }
    }
    let sketch = serde_json::to_string(&history).map_or(0, |text| text.len());
    let reading = serde_json::to_string(&history.for_reading()).map_or(0, |text| text.len());
    println!(
        "history sketch after {} deliveries: {sketch} bytes of JSON ({reading} without the checkpoint, as reads get it); {:.1} µs per estimated window; blur learnt: {:.1} days a year at 80 %, {:.1} at 90 %",
        history.deliveries(),
        scorer.micros_per_window(),
        history.blur_pace(Confidence::P80),
        history.blur_pace(Confidence::P90),
    );
}

/// Fits once before the first of `month` each year and scores the twelve
/// months from then without updates.
fn run_static_years(train: &[Row], learnt: &[&Row], month: u8, json: bool) {
    let (first, _) = span(train, |r| r.delivered);
    let (_, last) = span(train, |r| r.scheduled);
    let mut per_year: Vec<(String, Scorer)> = Vec::new();
    // A full year of history before the first split.
    for year in (first.year() + 2)..=last.year() {
        let start = Date::from_ymd(year, month, 1).expect("a date");
        let end = Date::from_ymd(year + 1, month, 1).expect("a date");
        let mut history = DeliveryHistory::default();
        let mut slips = Vec::new();
        for row in learnt.iter().take_while(|row| row.delivered < start) {
            history.record(&row.delivery());
            slips.push(row.slip());
        }
        slips.sort_unstable();
        let rows: Vec<&Row> = train
            .iter()
            .filter(|r| start <= r.scheduled && r.scheduled < end)
            .collect();
        if rows.is_empty() || slips.is_empty() {
            continue;
        }
        let mut scorer = Scorer::new();
        scorer.predict(&history, &Baselines { slips }, start, &rows);
        let label = match month {
            1 => year.to_string(),
            _ => format!("{year}-{month:02}"),
        };
        per_year.push((label, scorer));
    }
    let years = per_year.len().max(1) as f64;
    // The average over the years of each year's mean figures.
    let average = |level: usize, method: usize, figure: fn(&Tally) -> f64| {
        per_year
            .iter()
            .map(|(_, scorer)| figure(&scorer.tallies[level][method]))
            .sum::<f64>()
            / years
    };
    let coverage = |t: &Tally| t.mean(t.covered as f64);
    let width = |t: &Tally| t.mean(t.width);
    let score = |t: &Tally| t.mean(t.score);
    if json {
        for (year, scorer) in &per_year {
            for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
                for (method_index, method) in METHODS.into_iter().enumerate() {
                    let tally = &scorer.tallies[level_index][method_index];
                    println!(
                        "{}",
                        serde_json::json!({
                            "split": "static", "year": year, "method": method.name(),
                            "level": f64::from(confidence.percent()) / 100.0,
                            "coverage": coverage(tally), "mean_width_days": width(tally),
                            "interval_score": score(tally), "predictions": tally.predictions,
                        })
                    );
                }
            }
        }
        for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
            for (method_index, method) in METHODS.into_iter().enumerate() {
                println!(
                    "{}",
                    serde_json::json!({
                        "split": "static", "year": "average", "method": method.name(),
                        "level": f64::from(confidence.percent()) / 100.0,
                        "coverage": average(level_index, method_index, coverage),
                        "mean_width_days": average(level_index, method_index, width),
                        "interval_score": average(level_index, method_index, score),
                    })
                );
            }
        }
        return;
    }
    println!(
        "static splits over {} years: fit once on everything received before the first of month {month}, score the next twelve months with no updates",
        per_year.len()
    );
    println!(
        "{:<8} {:<6} {:>10} {:>9} {:>9} {:>10} {:>9}",
        "year", "level", "estimator", "width", "score", "best base", "score"
    );
    for (year, scorer) in &per_year {
        for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
            let tallies = &scorer.tallies[level_index];
            let (best, best_tally) = tallies[..3]
                .iter()
                .enumerate()
                .min_by(|a, b| score(a.1).total_cmp(&score(b.1)))
                .expect("three baselines");
            let estimator = &tallies[3];
            println!(
                "{:<8} {:<6} {:>9.1}% {:>7.1} d {:>7.1} d {:>10} {:>7.1} d",
                year,
                format!("{}%", confidence.percent()),
                100.0 * coverage(estimator),
                width(estimator),
                score(estimator),
                METHODS[best].name(),
                score(best_tally),
            );
            println!("{}", by_horizon(&scorer.horizons[level_index]));
        }
    }
    let spent = per_year.iter().map(|(_, scorer)| scorer.estimating).sum();
    let windows = per_year.iter().map(|(_, scorer)| scorer.windows()).sum();
    println!(
        "average over the years ({:.1} µs per estimated window):",
        micros_per(spent, windows)
    );
    for (level_index, confidence) in Confidence::ALL.into_iter().enumerate() {
        for (method_index, method) in METHODS.into_iter().enumerate() {
            println!(
                "{:<6} {:<17} {:>8.1}% {:>9.1} d {:>13.1} d",
                format!("{}%", confidence.percent()),
                method.name(),
                100.0 * average(level_index, method_index, coverage),
                average(level_index, method_index, width),
                average(level_index, method_index, score),
            );
        }
        let best_baseline = (0..3)
            .map(|method| average(level_index, method, score))
            .fold(f64::INFINITY, f64::min);
        let lowest_year = per_year
            .iter()
            .map(|(year, scorer)| (year, coverage(&scorer.tallies[level_index][3])))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let better = 1.0 - average(level_index, 3, score) / best_baseline;
        println!(
            "       estimator's averaged interval score is {:.1}% better than the best baseline's; its lowest year covered {}",
            100.0 * better,
            lowest_year.map_or_else(
                || "-".to_owned(),
                |(year, cover)| format!("{:.1}% ({year})", 100.0 * cover)
            ),
        );
        let nominal = f64::from(confidence.percent()) / 100.0;
        let held = (average(level_index, 3, coverage) - nominal).abs() <= 0.03;
        let floor = lowest_year.is_some_and(|(_, cover)| cover >= nominal - 0.08);
        println!(
            "       targets: average within 3 points of {}%: {}; no year below {}%: {}; score at least 15% better: {}",
            confidence.percent(),
            verdict(held),
            confidence.percent() - 8,
            verdict(floor),
            verdict(better >= 0.15),
        );
    }
}

fn micros_per(spent: Duration, windows: u64) -> f64 {
    spent.as_secs_f64() * 1e6 / windows.max(1) as f64
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT MET" }
}

/// The estimator's coverage and width by how far ahead the promised date was.
fn by_horizon(tallies: &[Tally]) -> String {
    let mut line = "         by days ahead:".to_owned();
    let mut low = 0;
    for (limit, tally) in HORIZONS.iter().zip(tallies) {
        let range = if *limit == i64::MAX {
            format!("{low}+")
        } else {
            format!("{low}-{limit}")
        };
        low = limit.saturating_add(1);
        if tally.predictions == 0 {
            continue;
        }
        line += &format!(
            " {range}: {:.1}% {:.0} d ({});",
            100.0 * tally.mean(tally.covered as f64),
            tally.mean(tally.width),
            tally.predictions
        );
    }
    line
}

/// The first and last of a date of the rows.
fn span(rows: &[Row], date: fn(&Row) -> Date) -> (Date, Date) {
    let first = rows.iter().map(date).min().expect("rows in --train");
    let last = rows.iter().map(date).max().expect("rows in --train");
    (first, last)
}

fn first_of_month(day: Date) -> Date {
    Date::from_ymd(day.year(), day.month(), 1).unwrap_or(day)
}

fn next_month(day: Date) -> Date {
    let (year, month) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    Date::from_ymd(year, month, 1).unwrap_or(day)
}
