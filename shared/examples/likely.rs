//! The likely-backorder harness: on the public "Can you predict product
//! backorders?" sample (`shared/data/backorder-prediction`), with only the
//! columns a shop could have (no sales forecasts, no risk flags of the
//! company's own), split 70/30 by class with a fixed seed, it prints
//! ROC-AUC and PR-AUC (average precision) on the 30 % held out for:
//! - the days-of-cover rule alone (fewer weeks of stock, more likely),
//! - a logistic regression on the same inputs,
//! - boosted trees trained here (forust), and
//! - the model the worker ships (`shared::likely::MODEL`), with its bytes,
//!   its time per product and its reasons for a few products.
//!
//! It exits with an error when the shipped model misses the targets
//! (ROC-AUC ≥ 0.94, PR-AUC ≥ 0.72) or differs from the one trained here.
//! `--write` rewrites `shared/src/likely/model.rs` from the trees trained
//! here; `--tune` cross-validates a few ways of growing them on the training
//! rows only (never the held-out ones) and prints what each scores.
//!
//! ```text
//! cargo run --release -p shared --example likely -- FILE.csv [--write | --tune]
//! ```
//!
//! The sample's positives are about 17 times richer than in the full data
//! (11.9 % against 0.7 %), so its PR-AUC is far higher than one measured at
//! the natural rate would be.

// An example fails loudly on bad files and arguments.
#![allow(clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::Instant;

use forust_ml::{GradientBooster, Matrix};
use shared::likely::{
    Feature, LEAF, MODEL, Model, Node, Signals, average_precision, logistic, roc_auc,
};

/// The columns of the sample a shop could have; the rest are ignored.
#[derive(Debug, serde::Deserialize)]
struct Row {
    sku: u64,
    national_inv: f64,
    lead_time: Option<f64>,
    in_transit_qty: f64,
    sales_1_month: f64,
    sales_3_month: f64,
    sales_6_month: f64,
    sales_9_month: f64,
    pieces_past_due: f64,
    perf_6_month_avg: f64,
    perf_12_month_avg: f64,
    local_bo_qty: f64,
    went_on_backorder: String,
}

/// The sample's "unknown" for the supplier's performance.
const UNKNOWN_PERFORMANCE: f64 = -99.0;
const SEED: u64 = 20_261_201;
const HELD_OUT: f64 = 0.3;
const TARGET_ROC_AUC: f64 = 0.94;
const TARGET_PR_AUC: f64 = 0.72;
const MODEL_FILE: &str = "shared/src/likely/model.rs";

impl Row {
    fn signals(&self) -> Signals {
        let performance = |p: f64| (p != UNKNOWN_PERFORMANCE).then_some(p);
        Signals {
            on_hand: self.national_inv,
            in_transit: self.in_transit_qty,
            lead_time_weeks: self.lead_time,
            sold_1_month: self.sales_1_month,
            sold_3_months: self.sales_3_month,
            sold_6_months: self.sales_6_month,
            sold_9_months: self.sales_9_month,
            overdue_from_supplier: self.pieces_past_due,
            supplier_on_time_6_months: performance(self.perf_6_month_avg),
            supplier_on_time_12_months: performance(self.perf_12_month_avg),
            waiting: self.local_bo_qty,
        }
    }
}

struct Product {
    sku: u64,
    signals: Signals,
    backorder: bool,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: likely FILE.csv [--write]");
    let flag = args.next();
    let write = flag.as_deref() == Some("--write");
    let products: Vec<Product> = csv::Reader::from_path(&path)
        .expect("open the sample")
        .deserialize::<Row>()
        .map(|row| {
            let row = row.expect("a row of the sample");
            Product {
                sku: row.sku,
                signals: row.signals(),
                backorder: match row.went_on_backorder.as_str() {
                    "Yes" => true,
                    "No" => false,
                    other => panic!("went_on_backorder is {other:?}"),
                },
            }
        })
        .collect();
    let (train, test) = split(&products);
    let positives = |set: &[&Product]| set.iter().filter(|p| p.backorder).count();
    println!(
        "{} products, {} went on backorder ({:.1} %); trained on {} ({} positive), held out {} ({} positive)",
        products.len(),
        positives(&products.iter().collect::<Vec<_>>()),
        100.0 * positives(&products.iter().collect::<Vec<_>>()) as f64 / products.len() as f64,
        train.len(),
        positives(&train),
        test.len(),
        positives(&test),
    );
    if flag.as_deref() == Some("--tune") {
        tune(&train);
        return;
    }
    let labels: Vec<bool> = test.iter().map(|p| p.backorder).collect();
    let report = |name: &str, scores: &[f64]| {
        let roc = roc_auc(scores, &labels).expect("both classes held out");
        let pr = average_precision(scores, &labels).expect("a positive held out");
        println!("{name:<34} ROC-AUC {roc:.4}   PR-AUC {pr:.4}");
        (roc, pr)
    };
    println!(
        "on the 30 % held out (PR-AUC's floor, a random order: {:.3}):",
        positives(&test) as f64 / test.len() as f64
    );

    let cover: Vec<f64> = test.iter().map(|p| -p.signals.cover_weeks()).collect();
    report("days-of-cover rule", &cover);

    let regression = Logistic::fit(&train);
    let scores: Vec<f64> = test
        .iter()
        .map(|p| regression.log_odds(&p.signals))
        .collect();
    report("logistic regression", &scores);

    let mut trained = train_trees(&train, &CONFIG);
    let scores: Vec<f64> = test
        .iter()
        .map(|p| trained.log_odds(&p.signals.features()))
        .collect();
    (trained.held_out_roc_auc, trained.held_out_pr_auc) =
        report("boosted trees (trained now)", &scores);
    let source = model_source(&trained);
    if write {
        std::fs::write(MODEL_FILE, &source).expect("write the model");
        println!("wrote {MODEL_FILE}: run the harness again to measure it");
        return;
    }

    let started = Instant::now();
    let mut scores = Vec::with_capacity(test.len());
    for product in &test {
        scores.push(MODEL.score(&product.signals).probability);
    }
    let elapsed = started.elapsed();
    let (roc, pr) = report("shipped model (shared::likely)", &scores);
    println!(
        "shipped model: {} trees, {} nodes, {} bytes; {:.1} µs per product with its reasons",
        MODEL.trees.len(),
        MODEL.nodes(),
        MODEL.nodes() * size_of::<Node>(),
        elapsed.as_secs_f64() * 1e6 / test.len() as f64,
    );
    print_reasons(&test);

    let mut failed = false;
    if roc < TARGET_ROC_AUC || pr < TARGET_PR_AUC {
        eprintln!(
            "the shipped model misses the targets (ROC-AUC ≥ {TARGET_ROC_AUC}, PR-AUC ≥ {TARGET_PR_AUC})"
        );
        failed = true;
    }
    let shipped = std::fs::read_to_string(MODEL_FILE).unwrap_or_default();
    if shipped != source {
        eprintln!("{MODEL_FILE} is not the model trained here: run with --write");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    println!("targets met: ROC-AUC {roc:.3} ≥ {TARGET_ROC_AUC}, PR-AUC {pr:.3} ≥ {TARGET_PR_AUC}");
}

/// 30 % of each class held out, chosen by a seeded hash of the SKU: the
/// same split on every machine and run.
fn split(products: &[Product]) -> (Vec<&Product>, Vec<&Product>) {
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in [true, false] {
        let mut members: Vec<&Product> = products.iter().filter(|p| p.backorder == class).collect();
        members.sort_by_key(|p| splitmix64(p.sku ^ SEED));
        let held_out = (members.len() as f64 * HELD_OUT).round() as usize;
        let (first, rest) = members.split_at(held_out);
        test.extend_from_slice(first);
        train.extend_from_slice(rest);
    }
    (train, test)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Boosted trees on the training rows, single-threaded so that every
/// machine trains the same trees.
fn train_trees(train: &[&Product], config: &Config) -> Model {
    let columns = Feature::ALL.len();
    let mut data = vec![0.0; train.len() * columns];
    for (row, product) in train.iter().enumerate() {
        for (column, value) in product.signals.features().into_iter().enumerate() {
            data[column * train.len() + row] = value;
        }
    }
    let labels: Vec<f64> = train
        .iter()
        .map(|p| if p.backorder { 1.0 } else { 0.0 })
        .collect();
    let matrix = Matrix::new(&data, train.len(), columns);
    let mut booster = GradientBooster::default()
        .set_iterations(config.trees)
        .set_learning_rate(config.learning_rate)
        .set_max_depth(config.depth)
        .set_l2(config.l2)
        .set_monotone_constraints(Some(monotone()))
        .set_parallel(false)
        .set_seed(SEED);
    booster
        .fit_unweighted(&matrix, &labels, None)
        .expect("train the trees");
    // forust's node type is private: read the trees from its JSON dump.
    let dump: Dump = serde_json::from_str(&booster.json_dump().expect("dump the trees"))
        .expect("read forust's dump");
    let trees: Vec<&'static [Node]> = dump
        .trees
        .iter()
        .map(|tree| &*Vec::leak(export(&tree.nodes)))
        .collect();
    let positives = labels.iter().sum::<f64>();
    Model {
        base: dump.base_score,
        trees: Vec::leak(trees),
        trained_positive_rate: positives / labels.len() as f64,
        held_out_roc_auc: 0.0,
        held_out_pr_auc: 0.0,
    }
}

/// Where more of a signal can only mean more (or less) risk: keeps the
/// trees, and so their reasons, from contradicting common sense.
fn monotone() -> forust_ml::constraints::ConstraintMap {
    use forust_ml::constraints::Constraint::{Negative, Positive};
    Feature::ALL
        .iter()
        .enumerate()
        .filter_map(|(i, feature)| {
            let constraint = match feature {
                Feature::OnHand
                | Feature::InTransit
                | Feature::CoverWeeks
                | Feature::CoverBeyondLeadTime
                | Feature::OnHandCoverWeeks => Negative,
                Feature::ShortAtLeadTime | Feature::OverdueFromSupplier | Feature::Waiting => {
                    Positive
                }
                _ => return None,
            };
            Some((i, constraint))
        })
        .collect()
}

/// How the trees are grown.
#[derive(Clone, Copy, Debug)]
struct Config {
    trees: usize,
    depth: usize,
    learning_rate: f32,
    /// L2 regularisation of leaf weights.
    l2: f32,
}

/// The shipped model's: the best mean ROC-AUC of `--tune` (5-fold
/// cross-validation on the training 70 % only, so that the held-out figures
/// stay honest). Measured 2026-12-01: 0.9423 against 0.9412–0.9421 for the
/// others; the smallest (120 trees of depth 3, 0.9418) would be a fifth of
/// the bytes.
const CONFIG: Config = Config {
    trees: 200,
    depth: 5,
    learning_rate: 0.05,
    l2: 10.0,
};

/// What `--tune` tries.
const GRID: [Config; 8] = [
    Config {
        trees: 120,
        depth: 3,
        learning_rate: 0.1,
        l2: 1.0,
    },
    Config {
        trees: 120,
        depth: 3,
        learning_rate: 0.1,
        l2: 10.0,
    },
    Config {
        trees: 120,
        depth: 4,
        learning_rate: 0.1,
        l2: 1.0,
    },
    Config {
        trees: 120,
        depth: 4,
        learning_rate: 0.1,
        l2: 10.0,
    },
    Config {
        trees: 200,
        depth: 4,
        learning_rate: 0.05,
        l2: 10.0,
    },
    Config {
        trees: 200,
        depth: 5,
        learning_rate: 0.05,
        l2: 1.0,
    },
    Config {
        trees: 200,
        depth: 5,
        learning_rate: 0.05,
        l2: 10.0,
    },
    Config {
        trees: 300,
        depth: 6,
        learning_rate: 0.03,
        l2: 10.0,
    },
];
const FOLDS: u64 = 5;

/// Cross-validates each configuration of [`GRID`] on the training rows.
fn tune(train: &[&Product]) {
    println!("5-fold cross-validation on the training 70 %:");
    for config in GRID {
        let (mut roc, mut pr) = (0.0, 0.0);
        for fold in 0..FOLDS {
            let in_fold = |p: &&&Product| splitmix64(p.sku ^ SEED ^ 0xF01D) % FOLDS == fold;
            let fit: Vec<&Product> = train.iter().filter(|p| !in_fold(p)).copied().collect();
            let check: Vec<&Product> = train.iter().filter(in_fold).copied().collect();
            let model = train_trees(&fit, &config);
            let scores: Vec<f64> = check
                .iter()
                .map(|p| model.log_odds(&p.signals.features()))
                .collect();
            let labels: Vec<bool> = check.iter().map(|p| p.backorder).collect();
            roc += roc_auc(&scores, &labels).expect("both classes in a fold");
            pr += average_precision(&scores, &labels).expect("a positive in a fold");
        }
        println!(
            "  {config:?}: ROC-AUC {:.4}, PR-AUC {:.4}, {} nodes",
            roc / FOLDS as f64,
            pr / FOLDS as f64,
            train_trees(train, &config).nodes()
        );
    }
}

#[derive(serde::Deserialize)]
struct Dump {
    base_score: f64,
    trees: Vec<DumpTree>,
}

#[derive(serde::Deserialize)]
struct DumpTree {
    nodes: Vec<DumpNode>,
}

#[derive(serde::Deserialize)]
struct DumpNode {
    weight_value: f32,
    hessian_sum: f32,
    split_value: f64,
    split_feature: usize,
    missing_node: usize,
    left_child: usize,
    right_child: usize,
    is_leaf: bool,
}

/// A forust tree as `shared::likely` nodes: a split's value is the
/// expected weight of its leaves, weighted by their training cover.
fn export(nodes: &[DumpNode]) -> Vec<Node> {
    fn expected(nodes: &[DumpNode], at: usize) -> (f64, f64) {
        let node = &nodes[at];
        if node.is_leaf {
            return (f64::from(node.weight_value), f64::from(node.hessian_sum));
        }
        let (left, left_cover) = expected(nodes, node.left_child);
        let (right, right_cover) = expected(nodes, node.right_child);
        let cover = left_cover + right_cover;
        let value = if cover > 0.0 {
            (left * left_cover + right * right_cover) / cover
        } else {
            0.0
        };
        (value, cover)
    }
    let index = |i: usize| u8::try_from(i).expect("a tree under 256 nodes");
    (0..nodes.len())
        .map(|at| {
            let node = &nodes[at];
            if node.is_leaf {
                Node {
                    feature: LEAF,
                    threshold: 0.0,
                    value: node.weight_value,
                    left: 0,
                    right: 0,
                    missing: 0,
                }
            } else {
                Node {
                    feature: u8::try_from(node.split_feature).expect("under 255 features"),
                    threshold: node.split_value as f32,
                    value: expected(nodes, at).0 as f32,
                    left: index(node.left_child),
                    right: index(node.right_child),
                    missing: index(node.missing_node),
                }
            }
        })
        .collect()
}

/// The model as Rust source, one line per node.
fn model_source(model: &Model) -> String {
    let mut out = String::new();
    writeln!(out, "//! The likely-backorder trees, written by").ok();
    writeln!(
        out,
        "//! `cargo run --release -p shared --example likely -- FILE.csv --write`"
    )
    .ok();
    writeln!(out, "//! ({CONFIG:?}): do not edit.").ok();
    writeln!(
        out,
        "//! A split is `s(feature, threshold, expected value, left, right, missing)`,"
    )
    .ok();
    writeln!(
        out,
        "//! a leaf `l(weight)`; features in `Feature::ALL` order.\n"
    )
    .ok();
    writeln!(out, "use super::{{LEAF, Model, Node}};\n").ok();
    writeln!(out, "pub const MODEL: Model = Model {{").ok();
    writeln!(out, "    base: {:?},", model.base).ok();
    writeln!(out, "    trees: &[").ok();
    for tree in 0..model.trees.len() {
        writeln!(out, "        T{tree},").ok();
    }
    writeln!(out, "    ],").ok();
    writeln!(
        out,
        "    trained_positive_rate: {:?},",
        model.trained_positive_rate
    )
    .ok();
    writeln!(out, "    held_out_roc_auc: {:.4},", model.held_out_roc_auc).ok();
    writeln!(out, "    held_out_pr_auc: {:.4},", model.held_out_pr_auc).ok();
    writeln!(out, "}};\n").ok();
    writeln!(out, "const fn s(feature: u8, threshold: f32, value: f32, left: u8, right: u8, missing: u8) -> Node {{").ok();
    writeln!(
        out,
        "    Node {{ feature, threshold, value, left, right, missing }}"
    )
    .ok();
    writeln!(out, "}}\n").ok();
    writeln!(out, "const fn l(value: f32) -> Node {{").ok();
    writeln!(
        out,
        "    Node {{ feature: LEAF, threshold: 0.0, value, left: 0, right: 0, missing: 0 }}"
    )
    .ok();
    writeln!(out, "}}").ok();
    for (i, tree) in model.trees.iter().enumerate() {
        writeln!(out, "\nconst T{i}: &[Node] = &[").ok();
        for node in tree.iter() {
            if node.feature == LEAF {
                writeln!(out, "    l({:?}),", node.value).ok();
            } else {
                writeln!(
                    out,
                    "    s({}, {:?}, {:?}, {}, {}, {}),",
                    node.feature, node.threshold, node.value, node.left, node.right, node.missing
                )
                .ok();
            }
        }
        writeln!(out, "];").ok();
    }
    out
}

/// A few held-out products the shipped model flags, with their reasons.
fn print_reasons(test: &[&Product]) {
    println!("reasons for the first three held-out products it puts above 80 %:");
    for product in test
        .iter()
        .filter(|p| MODEL.score(&p.signals).probability > 0.8)
        .take(3)
    {
        let likely = MODEL.score(&product.signals);
        let reasons: Vec<String> = likely
            .reasons
            .iter()
            .take(3)
            .map(|r| format!("{} = {:.2} (+{:.2})", r.feature.name(), r.value, r.push))
            .collect();
        println!(
            "  sku {}: {:.0} % ({}): {}",
            product.sku,
            likely.probability * 100.0,
            if product.backorder {
                "went on backorder"
            } else {
                "did not"
            },
            reasons.join(", ")
        );
    }
}

/// A logistic regression on the same inputs: counts as signed log1p, an
/// unknown value as the training mean plus a flag, all standardised; fitted
/// by full-batch gradient descent with a little L2.
struct Logistic {
    means: Vec<f64>,
    scales: Vec<f64>,
    weights: Vec<f64>,
}

impl Logistic {
    fn inputs(signals: &Signals) -> Vec<f64> {
        let mut inputs = Vec::new();
        for value in signals.features() {
            if value.is_nan() {
                inputs.extend([0.0, 1.0]);
            } else {
                inputs.extend([value.signum() * value.abs().ln_1p(), 0.0]);
            }
        }
        inputs
    }

    fn fit(train: &[&Product]) -> Logistic {
        let rows: Vec<Vec<f64>> = train.iter().map(|p| Logistic::inputs(&p.signals)).collect();
        let width = rows[0].len();
        let n = rows.len() as f64;
        let means: Vec<f64> = (0..width)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
            .collect();
        let scales: Vec<f64> = (0..width)
            .map(|j| {
                let variance = rows.iter().map(|r| (r[j] - means[j]).powi(2)).sum::<f64>() / n;
                if variance > 0.0 { variance.sqrt() } else { 1.0 }
            })
            .collect();
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| (0..width).map(|j| (r[j] - means[j]) / scales[j]).collect())
            .collect();
        let mut weights = vec![0.0; width + 1];
        for _ in 0..3_000 {
            let mut gradient = vec![0.0; width + 1];
            for (row, product) in x.iter().zip(train) {
                let z = weights[width] + row.iter().zip(&weights).map(|(a, b)| a * b).sum::<f64>();
                let error = logistic(z) - if product.backorder { 1.0 } else { 0.0 };
                for (g, value) in gradient.iter_mut().zip(row) {
                    *g += error * value;
                }
                gradient[width] += error;
            }
            for (j, weight) in weights.iter_mut().enumerate() {
                let l2 = if j < width { 1e-4 * *weight } else { 0.0 };
                *weight -= 0.5 * (gradient[j] / n + l2);
            }
        }
        Logistic {
            means,
            scales,
            weights,
        }
    }

    fn log_odds(&self, signals: &Signals) -> f64 {
        let width = self.means.len();
        let inputs = Logistic::inputs(signals);
        self.weights[width]
            + (0..width)
                .map(|j| (inputs[j] - self.means[j]) / self.scales[j] * self.weights[j])
                .sum::<f64>()
    }
}
