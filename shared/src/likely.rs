//! Likely-backorder flags: how likely a product is to run out before its
//! next delivery, from what a shop knows of it (stock on hand and in
//! transit, what it sold, the supplier's lead time and record, units
//! already waiting), with the reasons a merchant can read.
//!
//! The score is a small boosted tree ensemble ([`MODEL`]), trained by
//! `examples/likely.rs` on 70 % of the public "Can you predict product
//! backorders?" sample (`shared/data/backorder-prediction`) and measured
//! on the other 30 %; the harness writes `likely/model.rs`. Scoring walks
//! each tree once and credits every split's change of the expected value to
//! the signal it tested (Saabas' attribution), which gives the reasons.
//! Pure: the caller gathers the signals.

// Written by the harness, one line per node: rustfmt leaves it as written.
#[rustfmt::skip]
mod model;

pub use model::MODEL;

/// What a shop knows of one product, eight weeks before the week in
/// question (the sample's horizon). Quantities are units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Signals {
    pub on_hand: f64,
    pub in_transit: f64,
    /// The supplier's lead time in weeks, when known.
    pub lead_time_weeks: Option<f64>,
    /// Units sold over the last 1, 3, 6 and 9 months.
    pub sold_1_month: f64,
    pub sold_3_months: f64,
    pub sold_6_months: f64,
    pub sold_9_months: f64,
    /// Units the supplier owes that are past their promised date.
    pub overdue_from_supplier: f64,
    /// The share of the supplier's deliveries on time over the last 6 and
    /// 12 months, when it has any.
    pub supplier_on_time_6_months: Option<f64>,
    pub supplier_on_time_12_months: Option<f64>,
    /// Units customers are already waiting for.
    pub waiting: f64,
}

/// The model's inputs, in [`Signals::features`] order: the signals, then
/// two derived ones a tree of small depth cannot form by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    OnHand,
    InTransit,
    LeadTime,
    Sold1Month,
    Sold3Months,
    Sold6Months,
    Sold9Months,
    OverdueFromSupplier,
    SupplierOnTime6Months,
    SupplierOnTime12Months,
    Waiting,
    /// Weeks that stock on hand and in transit last at the recent rate of
    /// sales (capped; [`NO_SALES_COVER_WEEKS`] with no sales).
    CoverWeeks,
    /// Cover weeks less the lead time: below zero, stock runs out before a
    /// reorder placed today arrives.
    CoverBeyondLeadTime,
    /// Weeks that stock on hand alone lasts.
    OnHandCoverWeeks,
    /// Units short at the lead time's end: sales over the lead time less
    /// stock on hand and in transit (negative: to spare).
    ShortAtLeadTime,
}

impl Feature {
    pub const ALL: [Feature; 15] = [
        Feature::OnHand,
        Feature::InTransit,
        Feature::LeadTime,
        Feature::Sold1Month,
        Feature::Sold3Months,
        Feature::Sold6Months,
        Feature::Sold9Months,
        Feature::OverdueFromSupplier,
        Feature::SupplierOnTime6Months,
        Feature::SupplierOnTime12Months,
        Feature::Waiting,
        Feature::CoverWeeks,
        Feature::CoverBeyondLeadTime,
        Feature::OnHandCoverWeeks,
        Feature::ShortAtLeadTime,
    ];

    /// A stable name, for the API and the model file.
    pub fn name(self) -> &'static str {
        match self {
            Feature::OnHand => "on_hand",
            Feature::InTransit => "in_transit",
            Feature::LeadTime => "lead_time_weeks",
            Feature::Sold1Month => "sold_1_month",
            Feature::Sold3Months => "sold_3_months",
            Feature::Sold6Months => "sold_6_months",
            Feature::Sold9Months => "sold_9_months",
            Feature::OverdueFromSupplier => "overdue_from_supplier",
            Feature::SupplierOnTime6Months => "supplier_on_time_6_months",
            Feature::SupplierOnTime12Months => "supplier_on_time_12_months",
            Feature::Waiting => "waiting",
            Feature::CoverWeeks => "cover_weeks",
            Feature::CoverBeyondLeadTime => "cover_beyond_lead_time_weeks",
            Feature::OnHandCoverWeeks => "on_hand_cover_weeks",
            Feature::ShortAtLeadTime => "short_at_lead_time",
        }
    }
}

/// Cover, in weeks, of a product that sold nothing recently (and the cap of
/// any cover): ten years.
pub const NO_SALES_COVER_WEEKS: f64 = 520.0;
const WEEKS_PER_MONTH: f64 = 52.0 / 12.0;

impl Signals {
    /// Units sold per week lately: the faster of the last month's and the
    /// last three months' rates, so that a surge counts at once.
    pub fn weekly_sales(&self) -> f64 {
        let last_month = self.sold_1_month / WEEKS_PER_MONTH;
        let last_quarter = self.sold_3_months / (3.0 * WEEKS_PER_MONTH);
        last_month.max(last_quarter).max(0.0)
    }

    /// Weeks that stock on hand and in transit last at [`Self::weekly_sales`].
    pub fn cover_weeks(&self) -> f64 {
        self.weeks_of(self.on_hand + self.in_transit)
    }

    fn weeks_of(&self, stock: f64) -> f64 {
        let rate = self.weekly_sales();
        if rate <= 0.0 {
            NO_SALES_COVER_WEEKS
        } else {
            (stock.max(0.0) / rate).min(NO_SALES_COVER_WEEKS)
        }
    }

    /// The model's inputs; an unknown signal is NaN, which the trees send
    /// down the branch they learnt for it.
    pub fn features(&self) -> [f64; Feature::ALL.len()] {
        let cover = self.cover_weeks();
        let known = |value: Option<f64>| value.unwrap_or(f64::NAN);
        [
            self.on_hand,
            self.in_transit,
            known(self.lead_time_weeks),
            self.sold_1_month,
            self.sold_3_months,
            self.sold_6_months,
            self.sold_9_months,
            self.overdue_from_supplier,
            known(self.supplier_on_time_6_months),
            known(self.supplier_on_time_12_months),
            self.waiting,
            cover,
            known(self.lead_time_weeks.map(|lead| cover - lead)),
            self.weeks_of(self.on_hand),
            known(
                self.lead_time_weeks
                    .map(|lead| self.weekly_sales() * lead - self.on_hand - self.in_transit),
            ),
        ]
    }
}

/// One node of a tree. A leaf has `feature == LEAF`; its `value` is its
/// weight. A split sends a value below `threshold` to `left`, any other to
/// `right`, and an unknown one to `missing`; its `value` is the expected
/// weight below it (its leaves' weights, weighted by the training rows that
/// reached them), which the attribution needs. Children are indices into
/// the same tree (of depth 5 at most: 63 nodes); 12 bytes a node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub feature: u8,
    pub left: u8,
    pub right: u8,
    pub missing: u8,
    pub threshold: f32,
    pub value: f32,
}

/// The `feature` of a leaf.
pub const LEAF: u8 = u8::MAX;

/// A boosted ensemble: the log-odds are `base` plus one leaf weight per
/// tree.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    pub base: f64,
    /// Each tree's nodes, its root first.
    pub trees: &'static [&'static [Node]],
    /// The share of products that went on backorder in its training rows.
    pub trained_positive_rate: f64,
    /// What it scored on the sample's 30 % held out (the harness checks
    /// these are what it measures).
    pub held_out_roc_auc: f64,
    pub held_out_pr_auc: f64,
}

/// A product's score and what drove it.
#[derive(Clone, Debug, PartialEq)]
pub struct Likely {
    /// The estimated chance it goes on backorder (0–1).
    pub probability: f64,
    /// The inputs that raised the score, largest push first: what a
    /// merchant reads as the reasons.
    pub reasons: Vec<Reason>,
}

/// One input's part in a score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reason {
    pub feature: Feature,
    /// The input's value (NaN when unknown).
    pub value: f64,
    /// What it added to the log-odds.
    pub push: f64,
}

/// Reasons smaller than this (in log-odds) are left out: they would not
/// change a merchant's mind.
pub const SMALL_PUSH: f64 = 0.1;

impl Model {
    /// The log-odds for `features`.
    pub fn log_odds(&self, features: &[f64; Feature::ALL.len()]) -> f64 {
        self.trees.iter().fold(self.base, |sum, tree| {
            let mut at = 0;
            loop {
                let Some(node) = tree.get(at) else {
                    return sum;
                };
                if node.feature == LEAF {
                    return sum + f64::from(node.value);
                }
                at = usize::from(node.next(features));
            }
        })
    }

    /// The score of one product and its reasons.
    pub fn score(&self, signals: &Signals) -> Likely {
        let features = signals.features();
        let mut pushes = [0.0; Feature::ALL.len()];
        let mut log_odds = self.base;
        for tree in self.trees {
            let mut at = 0;
            while let Some(node) = tree.get(at) {
                if node.feature == LEAF {
                    log_odds += f64::from(node.value);
                    break;
                }
                let next = usize::from(node.next(&features));
                if let (Some(child), Some(push)) =
                    (tree.get(next), pushes.get_mut(usize::from(node.feature)))
                {
                    *push += f64::from(child.value) - f64::from(node.value);
                }
                at = next;
            }
        }
        let mut reasons: Vec<Reason> = Feature::ALL
            .iter()
            .zip(features)
            .zip(pushes)
            .filter(|(_, push)| *push >= SMALL_PUSH)
            .map(|((&feature, value), push)| Reason {
                feature,
                value,
                push,
            })
            .collect();
        reasons.sort_by(|a, b| b.push.total_cmp(&a.push));
        Likely {
            probability: logistic(log_odds),
            reasons,
        }
    }

    /// Nodes in all trees.
    pub fn nodes(&self) -> usize {
        self.trees.iter().map(|tree| tree.len()).sum()
    }
}

impl Node {
    fn next(&self, features: &[f64; Feature::ALL.len()]) -> u8 {
        match features.get(usize::from(self.feature)) {
            Some(value) if value.is_nan() => self.missing,
            Some(&value) if value < f64::from(self.threshold) => self.left,
            Some(_) => self.right,
            None => self.missing,
        }
    }
}

pub fn logistic(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

/// The area under the ROC curve of `scores` for `labels` (true: went on
/// backorder): the chance a random positive scores above a random negative,
/// ties counting half. `None` without both classes.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let ranked = ranked(scores, labels);
    let positives = labels.iter().filter(|&&label| label).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Mann–Whitney: sum the positives' mid-ranks (ascending).
    let mut rank_sum = 0.0;
    let mut start = 0;
    for group in groups(&ranked) {
        let mid_rank = (start + 1 + start + group.len()) as f64 / 2.0;
        rank_sum += mid_rank * group.iter().filter(|(_, label)| *label).count() as f64;
        start += group.len();
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// The area under the precision–recall curve, as average precision: the
/// mean, over positives, of the precision among products scored at least
/// as high (tied scores taken together). `None` without a positive.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut ranked = ranked(scores, labels);
    ranked.reverse();
    let positives = labels.iter().filter(|&&label| label).count();
    if positives == 0 {
        return None;
    }
    let (mut seen, mut hits, mut sum) = (0usize, 0usize, 0.0);
    for group in groups(&ranked) {
        let group_hits = group.iter().filter(|(_, label)| *label).count();
        seen += group.len();
        hits += group_hits;
        sum += group_hits as f64 * hits as f64 / seen as f64;
    }
    Some(sum / positives as f64)
}

fn ranked(scores: &[f64], labels: &[bool]) -> Vec<(f64, bool)> {
    let mut ranked: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    ranked
}

/// Runs of equal scores.
fn groups(ranked: &[(f64, bool)]) -> impl Iterator<Item = &[(f64, bool)]> {
    ranked.chunk_by(|a, b| a.0 == b.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_auc_counts_pairs_in_order_and_ties_as_half() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        // One positive at 0.5 ties one negative and beats the other.
        assert_eq!(roc_auc(&[0.5, 0.5, 0.1], &[true, false, false]), Some(0.75));
        // Positives at 0.3 and 0.7, negatives at 0.5 and 0.1: 3 of 4 pairs.
        assert_eq!(
            roc_auc(&[0.3, 0.7, 0.5, 0.1], &[true, true, false, false]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[0.3, 0.7], &[true, true]), None);
    }

    #[test]
    fn average_precision_is_the_mean_precision_at_each_positive() {
        // Ranked: + - + -  → (1/1 + 2/3) / 2.
        let ap = average_precision(&[0.9, 0.8, 0.7, 0.1], &[true, false, true, false]);
        assert!((ap.unwrap_or_default() - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        // All tied: precision is the positive rate.
        assert_eq!(
            average_precision(&[0.5; 4], &[true, false, false, false]),
            Some(0.25)
        );
        assert_eq!(average_precision(&[0.5], &[false]), None);
    }

    #[test]
    fn cover_uses_the_faster_recent_rate_and_caps_no_sales() {
        let signals = Signals {
            on_hand: 30.0,
            in_transit: 10.0,
            sold_1_month: 52.0 / 12.0 * 4.0,
            sold_3_months: 3.0,
            ..Signals::default()
        };
        assert!((signals.cover_weeks() - 10.0).abs() < 1e-9);
        let still = Signals {
            on_hand: 5.0,
            ..Signals::default()
        };
        assert_eq!(still.cover_weeks(), NO_SALES_COVER_WEEKS);
        let features = still.features();
        assert!(features[Feature::LeadTime as usize].is_nan());
        assert!(features[Feature::CoverBeyondLeadTime as usize].is_nan());
    }

    const fn split(feature: u8, threshold: f32, value: f32, left: u8, right: u8) -> Node {
        Node {
            feature,
            threshold,
            value,
            left,
            right,
            missing: left,
        }
    }

    const fn leaf(value: f32) -> Node {
        Node {
            feature: LEAF,
            threshold: 0.0,
            value,
            left: 0,
            right: 0,
            missing: 0,
        }
    }

    /// Two stumps: low cover adds 2.0 (expected 0.5), a lead time of 8
    /// weeks or more adds 1.0 (expected 0.0).
    const COVER: &[Node] = &[
        split(Feature::CoverWeeks as u8, 4.0, 0.5, 1, 2),
        leaf(2.0),
        leaf(0.0),
    ];
    const LEAD: &[Node] = &[
        split(Feature::LeadTime as u8, 8.0, 0.0, 1, 2),
        leaf(-1.0),
        leaf(1.0),
    ];
    const STUMPS: Model = Model {
        base: -2.0,
        trees: &[COVER, LEAD],
        trained_positive_rate: 0.5,
        held_out_roc_auc: 0.5,
        held_out_pr_auc: 0.5,
    };

    #[test]
    fn a_score_sums_the_leaves_and_its_reasons_credit_each_split() {
        let short = Signals {
            on_hand: 2.0,
            sold_1_month: 13.0,
            lead_time_weeks: Some(10.0),
            ..Signals::default()
        };
        let likely = STUMPS.score(&short);
        assert!((likely.probability - logistic(1.0)).abs() < 1e-12);
        assert_eq!(STUMPS.log_odds(&short.features()), 1.0);
        let reasons: Vec<(Feature, f64)> =
            likely.reasons.iter().map(|r| (r.feature, r.push)).collect();
        assert_eq!(
            reasons,
            [(Feature::CoverWeeks, 1.5), (Feature::LeadTime, 1.0)]
        );

        // Plenty of stock and an unknown lead time (the missing branch is
        // the left one): nothing pushes up.
        let plenty = Signals {
            on_hand: 500.0,
            sold_1_month: 1.0,
            ..Signals::default()
        };
        let likely = STUMPS.score(&plenty);
        assert!((likely.probability - logistic(-3.0)).abs() < 1e-12);
        assert!(likely.reasons.is_empty());
    }

    /// The shipped model on two plain cases: a steady seller with a week of
    /// stock and an eight-week lead time, and a slow one with a year's.
    #[test]
    fn the_shipped_model_flags_a_product_about_to_run_out_and_says_why() {
        let short = Signals {
            on_hand: 10.0,
            lead_time_weeks: Some(8.0),
            sold_1_month: 40.0,
            sold_3_months: 120.0,
            sold_6_months: 240.0,
            sold_9_months: 360.0,
            supplier_on_time_6_months: Some(0.8),
            supplier_on_time_12_months: Some(0.8),
            ..Signals::default()
        };
        let likely = MODEL.score(&short);
        assert!(likely.probability > 0.5, "{likely:?}");
        let first = likely.reasons.first().map(|r| r.feature);
        assert!(
            matches!(
                first,
                Some(
                    Feature::CoverWeeks
                        | Feature::OnHandCoverWeeks
                        | Feature::CoverBeyondLeadTime
                        | Feature::ShortAtLeadTime
                )
            ),
            "{likely:?}"
        );
        let plenty = Signals {
            on_hand: 500.0,
            sold_1_month: 10.0,
            sold_3_months: 30.0,
            sold_6_months: 60.0,
            sold_9_months: 90.0,
            ..short
        };
        let likely = MODEL.score(&plenty);
        assert!(likely.probability < 0.05, "{likely:?}");
    }
}
