//! Prints what the edge costs a month on Cloudflare's Workers Paid plan for
//! some numbers of backorder orders: what one order uses of each meter,
//! then each month's bill, line by line. `scripts/cost` runs it, from a
//! shop's own count of this month's orders or from numbers given.
//!
//! `cargo run -p shared --example cost -- 1000 100000`

use shared::cost::{METERS, PER_ORDER, PRICES_READ_ON, dollars, monthly};

fn main() {
    let counts: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.replace([',', '_'], "").parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![1_000.0, 100_000.0]
    } else {
        counts
    };
    println!(
        "Workers Paid plan, prices read on {PRICES_READ_ON}; emails are billed by the mail provider."
    );
    println!("one backorder order uses:");
    for (meter, per) in METERS.iter().zip(PER_ORDER) {
        println!("  {:<38} {per:>12.4} {}", meter.name, meter.unit);
    }
    for orders in counts {
        let (lines, total) = monthly(orders, &PER_ORDER);
        println!("{orders:.0} orders a month: {}", dollars(total));
        println!("  {:<38} {:>16}", "plan", dollars(shared::cost::PLAN_CENTS));
        for line in lines {
            let share = 100.0 * line.used / line.meter.included_per_month;
            println!(
                "  {:<38} {:>16} ({:>14.0} {}, {share:.1} % of what the month includes)",
                line.meter.name,
                dollars(line.billed_cents),
                line.used,
                line.meter.unit
            );
        }
    }
}
