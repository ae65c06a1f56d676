//! Honest ship windows from a shop's own supplier history.
//!
//! The history is a sketch, not a list: for each supplier × mode, supplier,
//! mode and the whole shop it keeps a histogram of slip (received − promised,
//! in days) whose weights decay with a 110-day time constant, so recent
//! behaviour counts most and the size grows with the number of distinct slip
//! values (at most 731 a group), not with the number of deliveries.
//!
//! A window for a promised date comes from the weighted quantiles of the most
//! specific group with enough weight (supplier × mode, then supplier, then
//! mode, then all). Its quantile level is calibrated online, by adaptive
//! conformal inference: each delivery, before it is learnt, is checked against
//! the window the history would have given, and the level moves towards the
//! nominal miss rate. That keeps coverage at what the window claims without
//! assuming any distribution.
//!
//! What the history says is about the time it was learnt. The older it is by
//! the promised date (days since the pool's last delivery, plus days ahead),
//! the more a supplier may have changed, so the slips are blurred by noise
//! that grows with that age: a history that is old, or a promise far ahead,
//! gives a wider window rather than a narrow wrong one, and most of all where
//! the history was suspiciously exact (everything on the promised day).
//! How fast it blurs is learnt too: the history keeps a checkpoint of itself,
//! renewed yearly, and each delivery promised months after the checkpoint is
//! checked against the window the checkpoint would have given; a miss makes
//! the blur faster, a hit slower, so that windows from an old history miss
//! at about the nominal rate (the same idea as the level's calibration, on
//! the scale of months). Measured with `examples/calibrate.rs`, both with
//! monthly updates (rolling origin) and fitted once a year with none (static
//! splits).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::window::ShipWindow;

/// How fast old deliveries fade: weight e^(−age / 110 days). Measured: with
/// a year (365) a supplier that changed its ways kept its old window for
/// months; from 100 to 120 days all the calibration targets hold.
pub const DECAY_DAYS: f64 = 110.0;
/// The least (decayed) weight of deliveries for a window to be trusted:
/// about six in the last four months, which a supplier delivering every
/// fortnight keeps (its weight stays above 7) and a monthly one does not.
pub const MIN_GROUP_WEIGHT: f64 = 6.0;
/// How many deliveries' worth of say a wider pool has in a narrower one.
pub const PRIOR_WEIGHT: f64 = 10.0;
/// Up to this many days ahead, the calibrated level is used as it is...
pub const NEAR_HORIZON_DAYS: f64 = 30.0;
/// ...and from this many on, never a narrower window than the nominal level.
pub const FAR_HORIZON_DAYS: f64 = 180.0;
/// How much a history's slips are blurred per year of age by the promised
/// date, before anything is learnt: the scale, in days, of the Laplace noise.
pub const INITIAL_BLUR_DAYS_PER_YEAR: f64 = 5.0;
/// The blur's pace stays within these bounds (days a year).
pub const BLUR_PACE_RANGE: (f64, f64) = (0.5, 100.0);
/// The step of the pace's calibration: a miss multiplies it by e^(0.03 × (1
/// − nominal miss rate)), a hit divides it by e^(0.03 × nominal miss rate).
pub const BLUR_PACE_STEP: f64 = 0.03;
/// A checkpoint of the history is kept this long before a new one is taken.
pub const CHECKPOINT_DAYS: i64 = 365;
/// Deliveries promised at least this long after the checkpoint check the
/// pace: nearer ones are the calibrated level's business.
pub const CHECKPOINT_MIN_AHEAD_DAYS: i64 = 90;
/// The step of the online level calibration.
pub const CALIBRATION_STEP: f64 = 0.005;
/// Slips beyond a year either way are kept as a year: a sketch stays bounded.
pub const MAX_SLIP_DAYS: i64 = 365;
/// A ship window wider than this is shown, but flagged as uncertain.
pub const MAX_USEFUL_WIDTH_DAYS: i64 = 45;
/// Weights below this are dropped from a histogram.
const NEGLIGIBLE_WEIGHT: f64 = 1e-3;
/// Text limits for a delivery record.
const MAX_NAME_CHARS: usize = 100;

/// The confidence a window is stated at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Confidence {
    P80,
    P90,
}

impl Confidence {
    pub const ALL: [Confidence; 2] = [Confidence::P80, Confidence::P90];

    pub fn percent(self) -> u8 {
        match self {
            Confidence::P80 => 80,
            Confidence::P90 => 90,
        }
    }

    /// The share of deliveries the window may miss.
    pub fn miss_rate(self) -> f64 {
        1.0 - f64::from(self.percent()) / 100.0
    }

    /// Its place in per-confidence arrays.
    fn index(self) -> usize {
        match self {
            Confidence::P80 => 0,
            Confidence::P90 => 1,
        }
    }
}

impl TryFrom<u8> for Confidence {
    type Error = String;

    fn try_from(percent: u8) -> Result<Confidence, String> {
        match percent {
            80 => Ok(Confidence::P80),
            90 => Ok(Confidence::P90),
            other => Err(format!("confidence must be 80 or 90, not {other}")),
        }
    }
}

impl From<Confidence> for u8 {
    fn from(confidence: Confidence) -> u8 {
        confidence.percent()
    }
}

/// One past supplier delivery: promised for one day, received on another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub supplier: String,
    /// How it travelled: air, truck, ocean... (free text, compared without case).
    pub mode: String,
    pub promised: Date,
    pub received: Date,
}

impl Delivery {
    /// Checks what the types cannot: names present and short, dates sane.
    pub fn validate(&self) -> Result<(), String> {
        check_name("supplier", &self.supplier)?;
        check_name("mode", &self.mode)?;
        if self.slip_days().abs() > 3 * 365 {
            return Err("received is more than three years from promised".to_owned());
        }
        Ok(())
    }

    /// Days late (negative: early).
    pub fn slip_days(&self) -> i64 {
        self.promised.days_until(self.received)
    }
}

/// A supplier or mode name: present, short, and printable.
fn check_name(field: &str, text: &str) -> Result<(), String> {
    if !crate::text::fits(text, MAX_NAME_CHARS) {
        return Err(format!("{field} must be 1 to {MAX_NAME_CHARS} characters"));
    }
    if crate::text::has_hidden_controls(text) {
        return Err(format!(
            "{field} must not hold control, bidi control or other invisible characters"
        ));
    }
    Ok(())
}

/// The group of one supplier's deliveries, by any mode.
fn supplier_key(normalised: &str) -> String {
    format!("s\u{1f}{normalised}")
}

/// The group of every delivery of the shop.
const SHOP_GROUP: &str = "all";

fn normalise(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The groups a supplier and mode pool into, most specific first.
fn group_keys(supplier: &str, mode: &str) -> [String; 4] {
    let (supplier, mode) = (normalise(supplier), normalise(mode));
    [
        format!("sm\u{1f}{supplier}\u{1f}{mode}"),
        supplier_key(&supplier),
        format!("m\u{1f}{mode}"),
        SHOP_GROUP.to_owned(),
    ]
}

/// Slip days with decayed weights, as of one day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlipHistogram {
    weights: BTreeMap<i64, f64>,
    total: f64,
    as_of: Option<Date>,
}

impl SlipHistogram {
    fn add(&mut self, slip: i64, day: Date) {
        let weight = match self.as_of {
            Some(as_of) if day < as_of => (-(day.days_until(as_of) as f64) / DECAY_DAYS).exp(),
            Some(as_of) => {
                let factor = (-(as_of.days_until(day) as f64) / DECAY_DAYS).exp();
                self.weights.retain(|_, weight| {
                    *weight *= factor;
                    *weight >= NEGLIGIBLE_WEIGHT
                });
                self.total = self.weights.values().sum();
                self.as_of = Some(day);
                1.0
            }
            None => {
                self.as_of = Some(day);
                1.0
            }
        };
        *self
            .weights
            .entry(slip.clamp(-MAX_SLIP_DAYS, MAX_SLIP_DAYS))
            .or_insert(0.0) += weight;
        self.total += weight;
    }

    /// The weight as it will have decayed by `day`.
    fn weight_on(&self, day: Date) -> f64 {
        let age = self.as_of.map_or(0, |as_of| as_of.days_until(day).max(0));
        self.total * (-(age as f64) / DECAY_DAYS).exp()
    }
}

/// Which pool a window came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    SupplierAndMode,
    Supplier,
    Mode,
    /// Every delivery of the shop: little is known of this supplier.
    Shop,
}

/// Days before or after the promised date between which arrival is expected.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArrivalOffsets {
    pub earliest_days: i64,
    pub latest_days: i64,
    pub basis: Basis,
    /// The decayed weight of the pool (about how many recent deliveries).
    pub weight: f64,
}

impl ArrivalOffsets {
    /// Whether a delivery `slip` days late falls inside.
    pub fn holds(&self, slip: i64) -> bool {
        (self.earliest_days..=self.latest_days).contains(&slip)
    }
}

/// A shop's supplier history, compact enough for one KV value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryHistory {
    groups: BTreeMap<String, SlipHistogram>,
    /// The calibrated miss rate behind each stated confidence.
    miss_rate_80: f64,
    miss_rate_90: f64,
    deliveries: u64,
    /// How fast the slips blur with age, in days a year, for 80 % and 90 %
    /// (histories saved before it was learnt start from the initial pace).
    #[serde(default = "initial_blur_pace")]
    blur_pace: [f64; 2],
    /// What the history was on a day up to a year ago; only learning needs
    /// it, so the copy that reads use is saved without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checkpoint: Option<Box<Checkpoint>>,
}

/// The history as it was on one day, kept to see how well it foretold the
/// deliveries that came after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Checkpoint {
    taken: Date,
    groups: BTreeMap<String, SlipHistogram>,
    miss_rates: [f64; 2],
}

fn initial_blur_pace() -> [f64; 2] {
    [INITIAL_BLUR_DAYS_PER_YEAR; 2]
}

impl Default for DeliveryHistory {
    fn default() -> DeliveryHistory {
        DeliveryHistory {
            groups: BTreeMap::new(),
            miss_rate_80: Confidence::P80.miss_rate(),
            miss_rate_90: Confidence::P90.miss_rate(),
            deliveries: 0,
            blur_pace: initial_blur_pace(),
            checkpoint: None,
        }
    }
}

impl DeliveryHistory {
    pub fn deliveries(&self) -> u64 {
        self.deliveries
    }

    fn miss_rate(&self, confidence: Confidence) -> f64 {
        match confidence {
            Confidence::P80 => self.miss_rate_80,
            Confidence::P90 => self.miss_rate_90,
        }
    }

    /// The history as reads need it: without the checkpoint that only
    /// learning uses (half the size).
    pub fn for_reading(&self) -> DeliveryHistory {
        DeliveryHistory {
            groups: self.groups.clone(),
            checkpoint: None,
            ..*self
        }
    }

    /// The blur's pace for a confidence, in days a year.
    pub fn blur_pace(&self, confidence: Confidence) -> f64 {
        self.blur_pace[confidence.index()]
    }

    /// Learns one delivery. First it checks the delivery against the window
    /// the history gives now and moves the calibrated level: towards wider
    /// windows after a miss, narrower after a hit, so that in the long run
    /// the misses are the nominal share (adaptive conformal inference); and,
    /// when it was promised months after the checkpoint, against the window
    /// the checkpoint gives, which moves the blur's pace the same way.
    pub fn record(&mut self, delivery: &Delivery) {
        let slip = delivery.slip_days();
        self.learn_blur_pace(delivery);
        for confidence in Confidence::ALL {
            let rate = self.miss_rate(confidence);
            if let Some(offsets) = self.pools(confidence).offsets(
                &delivery.supplier,
                &delivery.mode,
                rate,
                delivery.received,
                delivery.promised,
            ) {
                let missed = !offsets.holds(slip);
                let updated = rate
                    + CALIBRATION_STEP * (confidence.miss_rate() - f64::from(u8::from(missed)));
                let updated = updated.clamp(0.001, 0.6);
                match confidence {
                    Confidence::P80 => self.miss_rate_80 = updated,
                    Confidence::P90 => self.miss_rate_90 = updated,
                }
            }
        }
        for key in group_keys(&delivery.supplier, &delivery.mode) {
            self.groups
                .entry(key)
                .or_default()
                .add(slip, delivery.received);
        }
        self.deliveries += 1;
        let renew = self.checkpoint.as_ref().is_none_or(|checkpoint| {
            checkpoint.taken.days_until(delivery.received) >= CHECKPOINT_DAYS
        });
        if renew {
            self.checkpoint = Some(Box::new(Checkpoint {
                taken: delivery.received,
                groups: self.groups.clone(),
                miss_rates: [self.miss_rate_80, self.miss_rate_90],
            }));
        }
    }

    /// Checks a delivery promised months after the checkpoint against the
    /// window the checkpoint would have given for it then, and moves the
    /// blur's pace: faster after a miss, slower after a hit.
    fn learn_blur_pace(&mut self, delivery: &Delivery) {
        let Some(checkpoint) = &self.checkpoint else {
            return;
        };
        if delivery.received < checkpoint.taken
            || checkpoint.taken.days_until(delivery.promised) < CHECKPOINT_MIN_AHEAD_DAYS
        {
            return;
        }
        let slip = delivery.slip_days();
        for confidence in Confidence::ALL {
            let index = confidence.index();
            let then = Pools {
                groups: &checkpoint.groups,
                pace: self.blur_pace[index],
            };
            let Some(offsets) = then.faded_offsets(
                checkpoint.miss_rates[index],
                &delivery.supplier,
                &delivery.mode,
                confidence,
                checkpoint.taken,
                delivery.promised,
            ) else {
                continue;
            };
            let missed = !offsets.holds(slip);
            let surprise = f64::from(u8::from(missed)) - confidence.miss_rate();
            let (slowest, fastest) = BLUR_PACE_RANGE;
            self.blur_pace[index] =
                (self.blur_pace[index] * (BLUR_PACE_STEP * surprise).exp()).clamp(slowest, fastest);
        }
    }

    /// Whether the supplier once had history enough to be trusted, but its
    /// deliveries have since aged below that.
    fn supplier_gone_quiet(&self, supplier: &str, today: Date) -> bool {
        self.groups
            .get(&supplier_key(&normalise(supplier)))
            .is_some_and(|histogram| {
                histogram.total >= MIN_GROUP_WEIGHT && histogram.weight_on(today) < MIN_GROUP_WEIGHT
            })
    }

    /// Where arrival falls around a promised date from this supplier by this
    /// mode, at `confidence`, as of `today`; `None` with no history at all.
    ///
    /// The calibrated level corrects the window for what the last deliveries
    /// showed, which says most about the coming weeks. The further the
    /// promised date from the last delivery learnt, the less that correction
    /// is trusted: from 30 to 180 days on the level fades to the nominal one
    /// wherever calibration had made the window narrower, so a far date or
    /// an old history gets no false precision; and the slips are blurred for
    /// the history's age by then.
    pub fn arrival_offsets(
        &self,
        supplier: &str,
        mode: &str,
        confidence: Confidence,
        today: Date,
        promised: Date,
    ) -> Option<ArrivalOffsets> {
        self.pools(confidence).faded_offsets(
            self.miss_rate(confidence),
            supplier,
            mode,
            confidence,
            today,
            promised,
        )
    }

    /// The pools as they are, blurred at the pace for `confidence`.
    fn pools(&self, confidence: Confidence) -> Pools<'_> {
        Pools {
            groups: &self.groups,
            pace: self.blur_pace(confidence),
        }
    }
}

/// What a window is read from: the history's pools as they are, or as its
/// checkpoint was, and how fast they blur with age (days a year).
struct Pools<'a> {
    groups: &'a BTreeMap<String, SlipHistogram>,
    pace: f64,
}

impl Pools<'_> {
    /// The window for a promised date at the `calibrated` miss rate near the
    /// last delivery learnt, fading to no narrower than the nominal one far
    /// from it.
    fn faded_offsets(
        &self,
        calibrated: f64,
        supplier: &str,
        mode: &str,
        confidence: Confidence,
        today: Date,
        promised: Date,
    ) -> Option<ArrivalOffsets> {
        let cautious = calibrated.min(confidence.miss_rate());
        // The calibration is as of the last delivery learnt: a history left
        // to age trusts it less, as a promise far ahead does.
        let calibrated_on = self
            .groups
            .get(SHOP_GROUP)
            .and_then(|all| all.as_of)
            .map_or(today, |day| day.min(today));
        let ahead = calibrated_on.days_until(promised) as f64;
        let fade =
            ((ahead - NEAR_HORIZON_DAYS) / (FAR_HORIZON_DAYS - NEAR_HORIZON_DAYS)).clamp(0.0, 1.0);
        let rate = calibrated + (cautious - calibrated) * fade;
        self.offsets(supplier, mode, rate, today, promised)
    }

    /// Quantiles of a mixture: each group's own deliveries plus its parent
    /// pool scaled to `PRIOR_WEIGHT`, from the whole shop down to supplier ×
    /// mode, so that a group with few deliveries leans on its wider pool and
    /// one with many speaks for itself (shrinkage by sample size); blurred
    /// for the age the pools will have by the promised date.
    fn offsets(
        &self,
        supplier: &str,
        mode: &str,
        miss_rate: f64,
        today: Date,
        promised: Date,
    ) -> Option<ArrivalOffsets> {
        let keys = group_keys(supplier, mode);
        let bases = [
            Basis::SupplierAndMode,
            Basis::Supplier,
            Basis::Mode,
            Basis::Shop,
        ];
        let mut mixture: BTreeMap<i64, f64> = BTreeMap::new();
        // Each group's weight times the age its knowledge will have by the
        // promised date, scaled with the mixture: the mixture's age is its mean.
        let mut weighted_age = 0.0;
        let mut basis = None;
        // From the widest pool to the narrowest: all, mode, supplier, both.
        for (key, level) in keys.iter().zip(bases).rev() {
            let Some(histogram) = self.groups.get(key) else {
                continue;
            };
            let prior: f64 = mixture.values().sum();
            if prior > 0.0 {
                let scale = PRIOR_WEIGHT / prior;
                mixture.values_mut().for_each(|weight| *weight *= scale);
                weighted_age *= scale;
            }
            for (&slip, &weight) in &histogram.weights {
                *mixture.entry(slip).or_insert(0.0) += weight;
            }
            let age = histogram
                .as_of
                .map_or(0, |day| day.days_until(promised).max(0));
            weighted_age += histogram.total * age as f64;
            if histogram.weight_on(today) >= MIN_GROUP_WEIGHT || basis.is_none() {
                basis = Some((level, histogram.weight_on(today)));
            }
        }
        let (basis, weight) = basis?;
        let total: f64 = mixture.values().sum();
        let slips = Blurred {
            scale: self.pace * weighted_age / total.max(NEGLIGIBLE_WEIGHT) / 365.0,
            total,
            mixture,
        };
        Some(ArrivalOffsets {
            earliest_days: slips.quantile(miss_rate / 2.0)?,
            latest_days: slips.quantile(1.0 - miss_rate / 2.0)?,
            basis,
            weight,
        })
    }
}

/// Slips blurred by Laplace noise of `scale` days: what a history says once
/// the supplier has had time to change since it was learnt.
struct Blurred {
    mixture: BTreeMap<i64, f64>,
    total: f64,
    scale: f64,
}

impl Blurred {
    /// The share of the weight at or below `slip`.
    fn share_up_to(&self, slip: i64) -> f64 {
        let below: f64 = self
            .mixture
            .iter()
            .map(|(&at, &weight)| {
                // A whole day's slip spans half a day either side.
                let gap = ((slip - at) as f64 + 0.5) / self.scale;
                let share = if gap >= 0.0 {
                    1.0 - 0.5 * (-gap).exp()
                } else {
                    0.5 * gap.exp()
                };
                weight * share
            })
            .sum();
        below / self.total
    }

    /// The least slip with at least `share` of the weight at or below it.
    fn quantile(&self, share: f64) -> Option<i64> {
        let target = share - 1e-9;
        if self.scale < 1e-6 {
            let mut seen = 0.0;
            return self.mixture.iter().find_map(|(&slip, &weight)| {
                seen += weight;
                (seen >= target * self.total).then_some(slip)
            });
        }
        // Beyond 40 scales the noise has no weight left that could matter.
        let reach = (40.0 * self.scale).ceil() as i64 + 1;
        let mut low = self.mixture.keys().next()? - reach;
        let mut high = self.mixture.keys().next_back()? + reach;
        while low < high {
            let middle = low + (high - low) / 2;
            if self.share_up_to(middle) >= target {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        Some(low)
    }
}

/// Why a window cannot be given with the confidence it would claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Uncertainty {
    /// The supplier gave no date: nobody knows.
    NoPromisedDate,
    /// Too few deliveries of this shop to judge its suppliers.
    ThinHistory,
    /// The supplier had history enough, but has not delivered for months:
    /// what it did then says less about now.
    StaleHistory,
    /// The supplier is later than its history says is likely.
    Overdue,
    /// The honest window is too wide to plan by.
    TooWide,
}

impl Uncertainty {
    pub const ALL: [Uncertainty; 5] = [
        Uncertainty::NoPromisedDate,
        Uncertainty::ThinHistory,
        Uncertainty::StaleHistory,
        Uncertainty::Overdue,
        Uncertainty::TooWide,
    ];

    /// The reason's wire code (its serde name), as the widget reads it.
    pub fn code(self) -> &'static str {
        match self {
            Uncertainty::NoPromisedDate => "no_promised_date",
            Uncertainty::ThinHistory => "thin_history",
            Uncertainty::StaleHistory => "stale_history",
            Uncertainty::Overdue => "overdue",
            Uncertainty::TooWide => "too_wide",
        }
    }

    pub fn from_code(code: &str) -> Option<Uncertainty> {
        // A match rather than a search of `ALL`: the widget decodes with it,
        // and a match costs it fewer bytes. The tests check both agree.
        Some(match code {
            "no_promised_date" => Uncertainty::NoPromisedDate,
            "thin_history" => Uncertainty::ThinHistory,
            "stale_history" => Uncertainty::StaleHistory,
            "overdue" => Uncertainty::Overdue,
            "too_wide" => Uncertainty::TooWide,
            _ => return None,
        })
    }
}

impl fmt::Display for Uncertainty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Uncertainty::NoPromisedDate => "the supplier has not given a date",
            Uncertainty::ThinHistory => "there is too little delivery history to judge",
            Uncertainty::StaleHistory => "the supplier has not delivered to us for months",
            Uncertainty::Overdue => "the supplier is later than usual",
            Uncertainty::TooWide => "the supplier's deliveries vary widely",
        })
    }
}

/// What the shop knows about a backordered product's supply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyFacts {
    pub supplier: String,
    pub mode: String,
    /// The supplier's promised arrival at the shop's warehouse, if any.
    pub promised_arrival: Option<Date>,
    /// Business days from arrival to shipping.
    pub handling_business_days: u8,
}

impl SupplyFacts {
    pub fn validate(&self) -> Result<(), String> {
        check_name("supply.supplier", &self.supplier)?;
        check_name("supply.mode", &self.mode)?;
        if self.handling_business_days > 30 {
            return Err("supply.handling_business_days must be at most 30".to_owned());
        }
        Ok(())
    }
}

/// A ship window with the confidence it holds at, or the honest "unknown".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipEstimate {
    pub window: Option<ShipWindow>,
    pub confidence: Confidence,
    pub uncertain: Option<Uncertainty>,
}

/// How many days a window read from too thin a history spans at least:
/// arrival from the promised date (or what little history says) to two
/// weeks after it. A delivery or two say nothing of the spread; a one-day
/// window would claim a precision nobody has.
pub const THIN_HISTORY_SPREAD_DAYS: i64 = 14;

/// Offsets from too thin a history, widened to at least
/// [`THIN_HISTORY_SPREAD_DAYS`] and to include the promised date itself.
fn thin_spread(earliest_days: i64, latest_days: i64) -> (i64, i64) {
    let earliest = earliest_days.min(0);
    (
        earliest,
        latest_days.max(earliest + THIN_HISTORY_SPREAD_DAYS),
    )
}

/// The `count`th business day after `day` (weekends and `holidays` skipped).
pub fn add_business_days(day: Date, count: u8, holidays: &[Date]) -> Option<Date> {
    let mut current = day;
    let mut left = count;
    while left > 0 {
        current = current.add_days(1)?;
        if !current.is_weekend() && !holidays.contains(&current) {
            left -= 1;
        }
    }
    Some(current)
}

/// The ship window for a backordered product, as of `today`.
pub fn ship_window(
    facts: &SupplyFacts,
    history: &DeliveryHistory,
    holidays: &[Date],
    today: Date,
    confidence: Confidence,
) -> ShipEstimate {
    let unknown = |why| ShipEstimate {
        window: None,
        confidence,
        uncertain: Some(why),
    };
    let Some(promised) = facts.promised_arrival else {
        return unknown(Uncertainty::NoPromisedDate);
    };
    let offsets =
        history.arrival_offsets(&facts.supplier, &facts.mode, confidence, today, promised);
    // Trusted only when this supplier itself has history enough; a window
    // pooled from other suppliers is shown, but flagged.
    let (earliest_days, latest_days, mut uncertain) = match offsets {
        Some(o)
            if o.weight >= MIN_GROUP_WEIGHT
                && matches!(o.basis, Basis::SupplierAndMode | Basis::Supplier) =>
        {
            (o.earliest_days, o.latest_days, None)
        }
        // A supplier gone quiet: what it did, blurred with the time since
        // (wider the longer it has been).
        Some(o) if history.supplier_gone_quiet(&facts.supplier, today) => (
            o.earliest_days,
            o.latest_days,
            Some(Uncertainty::StaleHistory),
        ),
        // Pooled from the shop's other suppliers, which know enough: their
        // spread is the broader history's.
        Some(o) if o.weight >= MIN_GROUP_WEIGHT => (
            o.earliest_days,
            o.latest_days,
            Some(Uncertainty::ThinHistory),
        ),
        // Too little history anywhere to say how late it runs: a window
        // that claims no precision the history does not have.
        Some(o) => {
            let (earliest, latest) = thin_spread(o.earliest_days, o.latest_days);
            (earliest, latest, Some(Uncertainty::ThinHistory))
        }
        None => {
            let (earliest, latest) = thin_spread(0, 0);
            (earliest, latest, Some(Uncertainty::ThinHistory))
        }
    };
    // What has not arrived cannot arrive before today.
    let arrive = |offset: i64| promised.add_days(offset).map(|day| day.max(today));
    let (Some(first), Some(last)) = (arrive(earliest_days), arrive(latest_days)) else {
        return unknown(Uncertainty::ThinHistory);
    };
    if promised
        .add_days(latest_days)
        .is_some_and(|day| day < today)
    {
        uncertain = uncertain.or(Some(Uncertainty::Overdue));
    }
    let handling = facts.handling_business_days;
    let ship = add_business_days(first, handling, holidays)
        .zip(add_business_days(last, handling, holidays))
        .and_then(|(first, last)| ShipWindow::new(first, last).ok());
    let Some(window) = ship else {
        return unknown(Uncertainty::ThinHistory);
    };
    if window.days() > MAX_USEFUL_WIDTH_DAYS {
        uncertain = uncertain.or(Some(Uncertainty::TooWide));
    }
    ShipEstimate {
        window: Some(window),
        confidence,
        uncertain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        text.parse().expect("valid")
    }

    fn delivery(supplier: &str, promised: &str, slip: i64) -> Delivery {
        let promised = day(promised);
        Delivery {
            supplier: supplier.into(),
            mode: "Ocean".into(),
            promised,
            received: promised.add_days(slip).expect("in range"),
        }
    }

    fn facts(supplier: &str, promised: Option<&str>) -> SupplyFacts {
        SupplyFacts {
            supplier: supplier.into(),
            mode: "ocean".into(),
            promised_arrival: promised.map(day),
            handling_business_days: 2,
        }
    }

    /// The ship window for `supplier`'s promise, with no holidays.
    fn estimate_for(
        history: &DeliveryHistory,
        supplier: &str,
        promised: Option<&str>,
        today: &str,
        confidence: Confidence,
    ) -> ShipEstimate {
        ship_window(
            &facts(supplier, promised),
            history,
            &[],
            day(today),
            confidence,
        )
    }

    /// Weekly deliveries for `weeks` from `first`, each `slip(week)` late.
    fn weekly(history: &mut DeliveryHistory, first: Date, weeks: i64, slip: impl Fn(i64) -> i64) {
        for week in 0..weeks {
            let promised = first.add_days(7 * week).expect("in range");
            history.record(&delivery("Acme", &promised.to_string(), slip(week)));
        }
    }

    /// A supplier that is always 0–9 days late, 40 deliveries.
    fn steady_history() -> DeliveryHistory {
        let mut history = DeliveryHistory::default();
        weekly(&mut history, day("2026-01-05"), 40, |week| week % 10);
        history
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Friday 2027-03-05 plus two business days, Monday a holiday.
        let next = add_business_days(day("2027-03-05"), 2, &[day("2027-03-08")]);
        assert_eq!(next, Some(day("2027-03-10")));
        assert_eq!(
            add_business_days(day("2027-03-05"), 0, &[]),
            Some(day("2027-03-05"))
        );
    }

    #[test]
    fn a_steady_supplier_gets_a_window_from_its_own_history() {
        let history = steady_history();
        let estimate = estimate_for(
            &history,
            "ACME ",
            Some("2026-11-02"),
            "2026-10-01",
            Confidence::P80,
        );
        let window = estimate.window.expect("a window");
        assert_eq!(estimate.uncertain, None);
        // Arrival 2026-11-02 + [0..9] days, then two business days of handling.
        assert!(
            window.earliest() >= day("2026-11-04") && window.latest() <= day("2026-11-13"),
            "{window:?}"
        );
        assert!(window.earliest() < window.latest());
    }

    /// A supplier that has always delivered on the promised day, weekly.
    fn punctual_history(last_promised: Date) -> DeliveryHistory {
        let mut history = DeliveryHistory::default();
        let first = last_promised.add_days(-7 * 39).expect("in range");
        weekly(&mut history, first, 40, |_| 0);
        history
    }

    fn offsets(history: &DeliveryHistory, today: Date, promised: Date) -> (i64, i64) {
        let offsets = history
            .arrival_offsets("Acme", "Ocean", Confidence::P80, today, promised)
            .expect("a window");
        (offsets.earliest_days, offsets.latest_days)
    }

    #[test]
    fn an_old_history_or_a_far_promise_gives_a_wider_window() {
        let last = day("2026-06-01");
        let history = punctual_history(last);
        // Fresh history, promise next week: on the day, as always.
        let next_week = last.add_days(7).expect("in range");
        assert_eq!(offsets(&history, last, next_week), (0, 0));
        // The same history for a promise a year ahead could be days off
        // either way: the supplier has had a year to change.
        let next_year = last.add_days(365).expect("in range");
        let (early, late) = offsets(&history, last, next_year);
        assert!(early <= -2 && late >= 2, "{early}..{late}");
        // So could one learnt a year before today for a promise next week
        // (a little narrower: near dates trust the calibrated level).
        let later = last.add_days(358).expect("in range");
        let (stale_early, stale_late) = offsets(&history, later, next_year);
        assert!(
            stale_early <= -2 && stale_late >= 2,
            "{stale_early}..{stale_late}"
        );
        // And the further the age, the wider.
        let two_years = last.add_days(730).expect("in range");
        let (earlier, later) = offsets(&history, last, two_years);
        assert!(earlier < early && later > late, "{earlier}..{later}");
    }

    #[test]
    fn a_supplier_without_history_of_its_own_is_flagged() {
        let estimate = estimate_for(
            &steady_history(),
            "Zenith",
            Some("2026-11-02"),
            "2026-10-01",
            Confidence::P80,
        );
        assert_eq!(estimate.uncertain, Some(Uncertainty::ThinHistory));
        assert!(estimate.window.is_some());
    }

    #[test]
    fn no_promised_date_is_said_plainly() {
        let estimate = estimate_for(
            &steady_history(),
            "Acme",
            None,
            "2026-10-01",
            Confidence::P90,
        );
        assert_eq!(estimate.window, None);
        assert_eq!(estimate.uncertain, Some(Uncertainty::NoPromisedDate));
    }

    #[test]
    fn a_supplier_gone_quiet_for_months_is_flagged_as_such() {
        let history = steady_history();
        // Its last delivery was early in October 2026.
        let soon = estimate_for(
            &history,
            "Acme",
            Some("2026-11-02"),
            "2026-10-20",
            Confidence::P80,
        );
        assert_eq!(soon.uncertain, None);
        let months_later = estimate_for(
            &history,
            "Acme",
            Some("2027-05-03"),
            "2027-04-01",
            Confidence::P80,
        );
        assert_eq!(months_later.uncertain, Some(Uncertainty::StaleHistory));
        let (soon, later) = (
            soon.window.expect("a window"),
            months_later.window.expect("a window"),
        );
        assert!(later.days() > soon.days(), "{later:?} vs {soon:?}");
    }

    #[test]
    fn uncertainty_codes_agree_with_serde() {
        for reason in Uncertainty::ALL {
            let json = serde_json::to_value(reason).expect("serialises");
            assert_eq!(json, serde_json::Value::from(reason.code()));
            assert_eq!(Uncertainty::from_code(reason.code()), Some(reason));
        }
        assert_eq!(Uncertainty::from_code("unsure"), None);
    }

    #[test]
    fn thin_history_is_flagged() {
        let mut history = DeliveryHistory::default();
        history.record(&delivery("Acme", "2026-01-05", 3));
        let estimate = estimate_for(
            &history,
            "Acme",
            Some("2026-11-02"),
            "2026-10-01",
            Confidence::P80,
        );
        assert_eq!(estimate.uncertain, Some(Uncertainty::ThinHistory));
        let window = estimate.window.expect("still a best guess to show");
        // One delivery three days late says nothing of the spread: the
        // window is no narrower than two weeks, from the promised date.
        assert!(window.days() > THIN_HISTORY_SPREAD_DAYS, "{window:?}");
        assert!(window.earliest() <= day("2026-11-04"), "{window:?}");
        let empty = estimate_for(
            &DeliveryHistory::default(),
            "Acme",
            Some("2026-11-02"),
            "2026-10-01",
            Confidence::P80,
        );
        assert_eq!(empty.uncertain, Some(Uncertainty::ThinHistory));
        let window = empty.window.expect("a window from the promised date");
        assert!(window.days() > THIN_HISTORY_SPREAD_DAYS, "{window:?}");
    }

    #[test]
    fn an_overdue_supplier_is_flagged_and_never_shown_in_the_past() {
        let estimate = estimate_for(
            &steady_history(),
            "Acme",
            Some("2026-09-01"),
            "2026-10-01",
            Confidence::P80,
        );
        assert_eq!(estimate.uncertain, Some(Uncertainty::Overdue));
        let window = estimate.window.expect("a window");
        assert!(window.earliest() >= day("2026-10-01"));
    }

    #[test]
    fn the_history_round_trips_and_stays_small() {
        let history = steady_history();
        let json = serde_json::to_string(&history).expect("serialises");
        assert!(json.len() < 2_000, "{} bytes for 40 deliveries", json.len());
        let parsed: DeliveryHistory = serde_json::from_str(&json).expect("parses");
        // JSON floats may differ in the last bit; what they decide may not.
        let today = day("2026-10-01");
        for confidence in Confidence::ALL {
            assert_eq!(
                parsed.arrival_offsets("Acme", "Ocean", confidence, today, today),
                history.arrival_offsets("Acme", "Ocean", confidence, today, today),
            );
        }
    }

    #[test]
    fn the_blur_slows_while_the_supplier_keeps_its_ways_and_speeds_when_it_changes() {
        let start = day("2026-01-05");
        let mut steady = DeliveryHistory::default();
        weekly(&mut steady, start, 150, |_| 0);
        let mut changed = DeliveryHistory::default();
        weekly(&mut changed, start, 75, |_| 0);
        weekly(
            &mut changed,
            start.add_days(7 * 75).expect("in range"),
            75,
            |week| (week % 7) * 5 - 15,
        );
        for confidence in Confidence::ALL {
            let (calm, stirred) = (steady.blur_pace(confidence), changed.blur_pace(confidence));
            assert!(
                calm < INITIAL_BLUR_DAYS_PER_YEAR && stirred > INITIAL_BLUR_DAYS_PER_YEAR,
                "{confidence:?}: {calm} vs {stirred} days a year"
            );
        }
    }

    #[test]
    fn the_copy_for_reading_drops_the_checkpoint_and_reads_the_same() {
        let mut history = DeliveryHistory::default();
        weekly(&mut history, day("2026-01-05"), 60, |week| week % 9);
        let reading = history.for_reading();
        let (full, light) = (
            serde_json::to_string(&history).expect("serialises"),
            serde_json::to_string(&reading).expect("serialises"),
        );
        assert!(full.contains("checkpoint") && !light.contains("checkpoint"));
        let today = day("2027-03-01");
        for confidence in Confidence::ALL {
            for ahead in [0, 40, 200] {
                let promised = today.add_days(ahead).expect("in range");
                assert_eq!(
                    reading.arrival_offsets("Acme", "Ocean", confidence, today, promised),
                    history.arrival_offsets("Acme", "Ocean", confidence, today, promised),
                );
            }
        }
    }

    #[test]
    fn a_history_saved_before_the_blur_was_learnt_still_reads() {
        let saved = r#"{"groups":{"all":{"weights":{"0":3.0,"4":1.0},"total":4.0,"as_of":"2026-05-01"}},
            "miss_rate_80":0.2,"miss_rate_90":0.1,"deliveries":4}"#;
        let history: DeliveryHistory = serde_json::from_str(saved).expect("parses");
        assert_eq!(
            history.blur_pace(Confidence::P80),
            INITIAL_BLUR_DAYS_PER_YEAR
        );
        assert_eq!(history.deliveries(), 4);
    }

    #[test]
    fn deliveries_are_validated() {
        let mut bad = delivery("", "2026-01-05", 1);
        assert!(bad.validate().is_err());
        bad.supplier = "Acme".into();
        assert_eq!(bad.validate(), Ok(()));
        bad.received = day("2031-01-01");
        assert!(bad.validate().is_err());
    }
}
