//! The one entry point of the lifecycle: an event in, a new order and effects
//! out, or a typed rejection that changes nothing.

use crate::ids::Sku;
use crate::lifecycle::effect::{Bill, CancelCause, DelayNotice, Effect, Email, PublicStatus};
use crate::lifecycle::event::{Event, NewOrder};
use crate::lifecycle::offer::{Choice, Offer, OfferId, OfferOutcome, OfferedOption};
use crate::lifecycle::order::{Consent, Line, LineState, Order, Stage};
use crate::lifecycle::policy::ShopPolicy;
use crate::lifecycle::rejection::Rejection;
use crate::lifecycle::us_rule;
use crate::money::Money;
use crate::text::MerchantText;
use crate::time::Timestamp;
use crate::window::ShipWindow;

/// The longest reason, fix, carrier or tracking text accepted.
pub const MAX_TEXT_CHARS: usize = 1000;
const MAX_LINES: usize = 200;

/// What a delay notice says when the promised date passes with no news.
pub const MISSED_REASON: &str = "The stock we expected has not reached us by the date we promised.";
pub const MISSED_FIX: &str =
    "We are chasing our supplier and will write again as soon as we know more.";

/// Applies `event` to `order` (`None` before it is placed) at `now`.
pub fn apply(
    order: Option<&Order>,
    event: &Event,
    now: Timestamp,
    policy: &ShopPolicy,
) -> Result<(Order, Vec<Effect>), Rejection> {
    let Some(order) = order else {
        return match event {
            Event::Placed(new) => place(new, now, policy),
            _ => Err(Rejection::UnknownOrder),
        };
    };
    if matches!(event, Event::Placed(_)) {
        return Err(Rejection::AlreadyPlaced);
    }
    if now < order.last_event_at {
        return Err(Rejection::TimeWentBackwards {
            last: order.last_event_at,
        });
    }
    // A repeated choice (a double click, a retried request) changes nothing,
    // unless time has something due first (then `choose` takes it again,
    // after the order has caught up).
    if let Event::Chose { offer, choice } = event
        && order.wake_up().is_none_or(|at| at > now)
        && let Some(found) = order.offers.iter().find(|o| o.id == *offer)
        && let Some(OfferOutcome::Chosen { choice: chosen, .. }) = &found.outcome
    {
        return if chosen == choice {
            Ok((order.clone(), Vec::new()))
        } else {
            Err(Rejection::AlreadyChose {
                offer: *offer,
                chosen: chosen.clone(),
            })
        };
    }
    // Cancelling again (a double click, a retried request) changes nothing.
    if *event == Event::CustomerCancelled
        && order.stage == Stage::Cancelled
        && order.wake_up().is_none_or(|at| at > now)
    {
        return Ok((order.clone(), Vec::new()));
    }
    let before = public_status(order, now);
    let mut step = Step {
        order: order.clone(),
        effects: Vec::new(),
        now,
        policy,
    };
    step.catch_up();
    step.handle(event)?;
    step.send_due_emails();
    Ok(step.finish(Some(before)))
}

fn public_status(order: &Order, now: Timestamp) -> PublicStatus {
    PublicStatus {
        stage: order.stage,
        window: order.window(),
        live_offer: order.live_offer(now).map(|offer| offer.id),
    }
}

fn check_text(text: &str, field: &'static str) -> Result<(), Rejection> {
    if !crate::text::fits(text, MAX_TEXT_CHARS) || crate::text::has_hidden_controls(text) {
        return Err(Rejection::MissingExplanation(field));
    }
    Ok(())
}

fn place(
    new: &NewOrder,
    now: Timestamp,
    policy: &ShopPolicy,
) -> Result<(Order, Vec<Effect>), Rejection> {
    let lines = new_lines(new)?;
    let Some(original_ship_by) = lines
        .iter()
        .filter_map(|l| l.window)
        .map(|w| w.latest())
        .max()
    else {
        return Err(Rejection::InvalidOrder(
            "no line is on backorder".to_owned(),
        ));
    };
    let order = Order {
        seq: 0,
        id: new.id.clone(),
        customer: new.customer.clone(),
        currency: new.currency,
        lines,
        shipping: Money::new(new.currency, new.shipping_minor),
        paid: Money::new(new.currency, new.paid_minor),
        stage: Stage::Waiting,
        placed_at: now,
        original_ship_by,
        ship_by: Some(original_ship_by),
        delay_notices: 0,
        consent: Consent::NotNeeded,
        offers: Vec::new(),
        nurture_due: Some(now.plus_days(i64::from(policy.nurture_every_days()))),
        last_nurture: None,
        returned: Money::zero(new.currency),
        follow_up_due: None,
        win_back_due: None,
        first_backorder_of_customer: new.customer_completed_backorders == 0,
        last_event_at: now,
        wake_up: None,
    };
    let mut step = Step {
        order,
        effects: Vec::new(),
        now,
        policy,
    };
    step.welcome();
    Ok(step.finish(None))
}

/// The order's lines, checked: 1 to `MAX_LINES`, each SKU once, none of
/// quantity 0, and prices that add up (with shipping) to what was paid.
fn new_lines(new: &NewOrder) -> Result<Vec<Line>, Rejection> {
    let invalid = |why: String| Err(Rejection::InvalidOrder(why));
    if new.lines.is_empty() || new.lines.len() > MAX_LINES {
        return invalid(format!("an order has 1 to {MAX_LINES} lines"));
    }
    let mut lines = Vec::with_capacity(new.lines.len());
    let mut total = Money::new(new.currency, new.shipping_minor);
    for line in &new.lines {
        if line.quantity == 0 {
            return invalid(format!("{} has quantity 0", line.sku));
        }
        if lines.iter().any(|l: &Line| l.sku == line.sku) {
            return invalid(format!("{} appears twice", line.sku));
        }
        let unit_price = Money::new(new.currency, line.unit_price_minor);
        let value = line.unit_price_minor.checked_mul(u64::from(line.quantity));
        total = match value.and_then(|v| total.checked_add(Money::new(new.currency, v))) {
            Some(total) => total,
            None => return invalid("the order's total overflows".to_owned()),
        };
        lines.push(Line {
            sku: line.sku.clone(),
            quantity: line.quantity,
            unit_price,
            state: if line.backorder.is_some() {
                LineState::Waiting
            } else {
                LineState::Ready
            },
            window: line.backorder,
            replaces: None,
        });
    }
    let paid = Money::new(new.currency, new.paid_minor);
    if paid != total {
        return invalid(format!(
            "paid {paid}, but the lines and shipping add up to {total}"
        ));
    }
    Ok(lines)
}

/// What follows a choice once its option is carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Confirm {
    /// The choice-confirmed email, and the order settles.
    ByEmail,
    /// Nothing: the option's own work (a cancellation and its email) did it.
    Already,
}

/// One event's work on a copy of the order.
struct Step<'a> {
    order: Order,
    effects: Vec<Effect>,
    now: Timestamp,
    policy: &'a ShopPolicy,
}

impl Step<'_> {
    fn send(&mut self, email: Email) {
        self.effects.push(Effect::Send(email));
    }

    fn close_offer(&mut self, index: usize, outcome: OfferOutcome) {
        let offer = &mut self.order.offers[index];
        offer.outcome = Some(outcome.clone());
        self.effects.push(Effect::OfferClosed {
            offer: offer.id,
            outcome,
        });
    }

    fn close_live_offer(&mut self, outcome: OfferOutcome) {
        if let Some(index) = self.order.offers.iter().position(|o| o.is_live(self.now)) {
            self.close_offer(index, outcome);
        }
    }

    /// What time alone has decided: lapsed offers, missed deadlines.
    fn catch_up(&mut self) {
        let now = self.now;
        for index in 0..self.order.offers.len() {
            let offer = &self.order.offers[index];
            if offer.outcome.is_none() && now >= offer.expires_at {
                let at = offer.expires_at;
                self.close_offer(index, OfferOutcome::Expired { at });
            }
        }
        // 16 CFR 435.2(c): without the consent the rule requires, the order
        // is cancelled and refunded once the deadline passes unshipped.
        if let Consent::Required { by } = self.order.consent
            && now >= by
            && self.order.stage.is_open()
        {
            self.cancel_unshipped(CancelCause::NoConsentToDelay);
        }
        // 16 CFR 435.2(b): a promised date that passes unshipped is a delay,
        // even when nobody reported one.
        if self.order.stage.is_open()
            && let Some(ship_by) = self.order.ship_by
            && now.date() > ship_by
        {
            for line in &mut self.order.lines {
                if line.state == LineState::Waiting {
                    line.window = None;
                }
            }
            self.slip(&MISSED_REASON.into(), &MISSED_FIX.into(), &[]);
        }
    }

    /// Emails that time made due, sent after the event so that news (stock
    /// arrived, shipped) is not preceded by a stale "still waiting".
    fn send_due_emails(&mut self) {
        let now = self.now;
        if self.order.stage == Stage::Waiting
            && let Some(due) = self.order.nurture_due
            && now >= due
        {
            self.nurture();
        }
        if let Some(due) = self.order.follow_up_due
            && now >= due
        {
            self.order.follow_up_due = None;
            self.send(Email::FollowUp);
        }
        if let Some(due) = self.order.win_back_due
            && now >= due
        {
            self.order.win_back_due = None;
            self.send(Email::WinBack);
        }
    }

    /// A nurture email, never while an offer is open: the offer must lapse
    /// before the next sequence email, so nobody holds two offers.
    fn nurture(&mut self) {
        if let Some(live) = self.order.live_offer(self.now) {
            self.order.nurture_due = Some(live.expires_at);
            return;
        }
        // While the US rule still needs consent, each nurture email carries
        // a fresh chance to give it.
        let offer = match self.order.consent {
            Consent::Required { by } => Some(self.open_offer(&[], Some(by))),
            _ => None,
        };
        self.send(Email::Nurture {
            window: self.order.window(),
            offer,
        });
        self.order.last_nurture = Some(self.now);
        let every = i64::from(self.policy.nurture_every_days());
        self.order.nurture_due = Some(self.now.plus_days(every));
    }

    /// A new order: tagged (order and customer), and the receipt with each
    /// backordered line's window and the ship and delivery ranges.
    fn welcome(&mut self) {
        let ship = self.order.window();
        let (transit_min, transit_max) = self.policy.transit_days();
        let delivery = ship.and_then(|w| {
            let earliest = w.earliest().add_days(i64::from(transit_min))?;
            let latest = w.latest().add_days(i64::from(transit_max))?;
            ShipWindow::new(earliest, latest).ok()
        });
        let backordered = self
            .order
            .lines
            .iter()
            .filter_map(|l| Some((l.sku.clone(), l.window?)))
            .collect();
        self.effects.push(Effect::TagOrder {
            tag: "backorder".to_owned(),
        });
        self.effects.push(Effect::TagCustomer {
            tag: "backorder-customer".to_owned(),
        });
        let bill = Bill {
            items: self
                .order
                .lines
                .iter()
                .map(|line| (line.sku.clone(), line.quantity, line.value()))
                .collect(),
            shipping: self.order.shipping,
            total: self.order.paid,
        };
        self.send(Email::Receipt {
            lines: backordered,
            ship,
            delivery,
            bill: Some(bill),
        });
    }

    /// The event itself, one method per kind; each first checks that the
    /// order's stage admits it.
    fn handle(&mut self, event: &Event) -> Result<(), Rejection> {
        let wrong_stage = Rejection::WrongStage {
            event: event.name(),
            stage: self.order.stage,
        };
        let admits = |stage: Stage| {
            if self.order.stage == stage {
                Ok(())
            } else {
                Err(wrong_stage.clone())
            }
        };
        match event {
            Event::Placed(_) => Err(Rejection::AlreadyPlaced),
            Event::TimePassed => Ok(()),
            Event::StockArrived { sku } => {
                admits(Stage::Waiting)?;
                self.stock_arrived(sku)
            }
            Event::WindowChanged {
                sku,
                window,
                reason,
                fix,
                in_stock,
            } => {
                admits(Stage::Waiting)?;
                self.window_changed(sku, *window, reason, fix, in_stock)
            }
            Event::Processed => {
                admits(Stage::Processing)?;
                self.order.stage = Stage::Processed;
                self.send(Email::Processed);
                Ok(())
            }
            Event::Shipped { carrier, tracking } => {
                admits(Stage::Processed)?;
                self.shipped(carrier, tracking)
            }
            Event::Delivered => {
                admits(Stage::Shipped)?;
                self.delivered();
                Ok(())
            }
            Event::Chose { offer, choice } => self.choose(*offer, choice),
            Event::CancelledByStore if self.order.stage.is_open() => {
                self.cancelled_by_store();
                Ok(())
            }
            Event::CancelledByStore => Err(wrong_stage),
            Event::CustomerCancelled => self.customer_cancelled().ok_or(wrong_stage),
        }
    }

    /// The customer cancels what has not shipped: through the open offer's
    /// cancel option when there is one (its answer), else at once, with
    /// the same refund. `None` when nothing is left to cancel.
    fn customer_cancelled(&mut self) -> Option<()> {
        let offer = self
            .order
            .live_offer(self.now)
            .filter(|offer| offer.options.iter().any(|o| o.matches(&Choice::Cancel)))
            .map(|offer| offer.id);
        if let Some(offer) = offer {
            return self.choose(offer, &Choice::Cancel).ok();
        }
        self.order.cancellable()?;
        self.cancel_unshipped(CancelCause::CustomerChose);
        Some(())
    }

    fn stock_arrived(&mut self, sku: &Sku) -> Result<(), Rejection> {
        let mut found = false;
        for line in &mut self.order.lines {
            if line.sku == *sku && line.state == LineState::Waiting {
                line.state = LineState::Ready;
                line.window = None;
                found = true;
            }
        }
        if !found {
            return Err(Rejection::NotWaitingFor(sku.clone()));
        }
        let complete = self.order.waiting_lines().next().is_none();
        if complete {
            self.order.stage = Stage::Processing;
            self.close_live_offer(OfferOutcome::Withdrawn { at: self.now });
        }
        self.send(Email::Restocked {
            sku: sku.clone(),
            order_complete: complete,
        });
        Ok(())
    }

    fn window_changed(
        &mut self,
        sku: &Sku,
        window: Option<ShipWindow>,
        reason: &MerchantText,
        fix: &MerchantText,
        in_stock: &[Sku],
    ) -> Result<(), Rejection> {
        for (texts, field) in [(reason.texts(), "reason"), (fix.texts(), "fix")] {
            if texts.is_empty() {
                return Err(Rejection::MissingExplanation(field));
            }
            for text in texts {
                check_text(text, field)?;
            }
        }
        if !self.order.waiting_lines().any(|line| line.sku == *sku) {
            return Err(Rejection::NotWaitingFor(sku.clone()));
        }
        for line in &mut self.order.lines {
            if line.sku == *sku && line.state == LineState::Waiting {
                line.window = window;
            }
        }
        let latest = self.order.window().map(|w| w.latest());
        match (self.order.ship_by, latest) {
            (Some(promised), Some(latest)) if latest <= promised => {}
            // A date where there was none is news, not a delay.
            (None, Some(latest)) => self.order.ship_by = Some(latest),
            (None, None) => {}
            _ => self.slip(&reason.trimmed(), &fix.trimmed(), in_stock),
        }
        Ok(())
    }

    fn shipped(&mut self, carrier: &str, tracking: &str) -> Result<(), Rejection> {
        let valid = |text: &str| (1..=100).contains(&text.trim().chars().count());
        if !valid(carrier) || !valid(tracking) {
            return Err(Rejection::MissingShipmentDetails);
        }
        for line in &mut self.order.lines {
            if line.state == LineState::Ready {
                line.state = LineState::Shipped;
            }
        }
        self.order.stage = Stage::Shipped;
        self.order.consent = Consent::NotNeeded;
        self.close_live_offer(OfferOutcome::Withdrawn { at: self.now });
        let expedited = self.order.expedited();
        self.send(Email::Shipped {
            carrier: carrier.trim().to_owned(),
            tracking: tracking.trim().to_owned(),
            expedited,
        });
        Ok(())
    }

    fn delivered(&mut self) {
        self.order.stage = Stage::Delivered;
        let follow_up = i64::from(self.policy.follow_up_after_days());
        self.order.follow_up_due = Some(self.now.plus_days(follow_up));
        if self.order.first_backorder_of_customer {
            let win_back = i64::from(self.policy.win_back_after_days());
            self.order.win_back_due = Some(self.now.plus_days(win_back));
        }
    }

    /// The store cancelled and refunded on its side, and tells the customer
    /// itself: nothing is left to do but stop waiting.
    fn cancelled_by_store(&mut self) {
        for line in &mut self.order.lines {
            if line.is_unshipped() {
                line.state = LineState::Cancelled;
            }
        }
        self.settle_after_waiting_ended();
    }

    /// A slip: an apology at once with what happened, what is done, the new
    /// window or "unknown", and a time-limited offer of options.
    fn slip(&mut self, reason: &MerchantText, fix: &MerchantText, in_stock: &[Sku]) {
        let revised = self.order.window().map(|w| w.latest());
        let legal = if self.policy.us_mail_order_rule() {
            us_rule::delay_terms(&self.order, revised, self.now)
        } else {
            None
        };
        if let Some(legal) = &legal
            && let Consent::Required { by } = legal.consent
            && by <= self.now
        {
            // Too late to ask: 16 CFR 435.2(c) leaves only cancel and refund.
            self.cancel_unshipped(CancelCause::NoConsentToDelay);
            return;
        }
        self.order.ship_by = revised;
        self.order.delay_notices += 1;
        if let Some(legal) = &legal {
            self.order.consent = legal.consent;
        }
        let consent_by = match self.order.consent {
            Consent::Required { by } => Some(by),
            _ => None,
        };
        let offer = self.open_offer(in_stock, consent_by);
        let opened = self.order.offers.iter().find(|o| o.id == offer);
        let (options, expires_at) = opened
            .map(|o| (o.options.clone(), o.expires_at))
            .unwrap_or((Vec::new(), self.now));
        self.send(Email::DelayNotice(DelayNotice {
            reason: reason.clone(),
            fix: fix.clone(),
            window: self.order.window(),
            offer,
            options,
            offer_expires_at: expires_at,
            us_rule: legal.map(|legal| legal.terms),
        }));
    }

    /// Opens a new offer, closing any live one first, so that an order never
    /// holds two. It lapses after the shop's offer lifetime, or when consent
    /// is due, whichever comes first.
    fn open_offer(&mut self, in_stock: &[Sku], consent_by: Option<Timestamp>) -> OfferId {
        self.close_live_offer(OfferOutcome::Superseded { at: self.now });
        let id = OfferId(u32::try_from(self.order.offers.len()).unwrap_or(u32::MAX - 1) + 1);
        let lifetime = self
            .now
            .plus_days(i64::from(self.policy.offer_lifetime_days()));
        let expires_at = consent_by.map_or(lifetime, |by| by.min(lifetime));
        let options = self.options(in_stock);
        self.order.offers.push(Offer {
            id,
            opened_at: self.now,
            expires_at,
            options,
            outcome: None,
        });
        self.effects.push(Effect::OfferOpened {
            offer: id,
            expires_at,
        });
        if let Some(due) = self.order.nurture_due
            && due < expires_at
        {
            self.order.nurture_due = Some(expires_at);
        }
        id
    }

    /// The options this shop offers for this order now.
    fn options(&self, in_stock: &[Sku]) -> Vec<OfferedOption> {
        let enabled = self.policy.options();
        let waiting: Vec<&Line> = self.order.waiting_lines().collect();
        let mut options = Vec::new();
        if enabled.keep_waiting {
            options.push(OfferedOption::KeepWaiting {
                expedited: self.policy.free_expedited_shipping(),
            });
        }
        let month = self.now.date().month();
        let alternatives: Vec<(Sku, Sku)> = self
            .policy
            .alternatives()
            .iter()
            .filter(|a| waiting.iter().any(|line| line.sku == a.for_sku))
            .filter(|a| in_stock.contains(&a.sku) && a.in_season(month))
            .map(|a| (a.for_sku.clone(), a.sku.clone()))
            .collect();
        if enabled.switch_item && !alternatives.is_empty() {
            options.push(OfferedOption::SwitchItem { alternatives });
        }
        let ready: Vec<Sku> = self
            .order
            .lines
            .iter()
            .filter(|line| line.state == LineState::Ready)
            .map(|line| line.sku.clone())
            .collect();
        if enabled.ship_available_now && !ready.is_empty() && !waiting.is_empty() {
            options.push(OfferedOption::ShipAvailableNow { skus: ready });
        }
        if enabled.store_credit && !waiting.is_empty() {
            let value = self
                .order
                .refund_for(|line| line.state == LineState::Waiting);
            let bonus = value.percent(self.policy.store_credit_bonus_percent());
            options.push(OfferedOption::StoreCredit { value, bonus });
        }
        // 16 CFR 435.2(b)(1): under the rule, cancel is always offered.
        if enabled.cancel || self.policy.us_mail_order_rule() {
            options.push(OfferedOption::Cancel {
                refund: self.order.refund_for(Line::is_unshipped),
            });
        }
        // Silence means waiting, so waiting is always a choice when the
        // shop's enabled options do not fit this order.
        if options.is_empty() {
            options.push(OfferedOption::KeepWaiting { expedited: false });
        }
        options
    }

    /// Cancels the lines `cancelled` picks and returns their skus.
    fn cancel_lines(&mut self, cancelled: impl Fn(&Line) -> bool) -> Vec<Sku> {
        let mut skus = Vec::new();
        for line in &mut self.order.lines {
            if line.state != LineState::Cancelled && cancelled(line) {
                line.state = LineState::Cancelled;
                skus.push(line.sku.clone());
            }
        }
        if !skus.is_empty() {
            self.effects
                .push(Effect::CancelLines { skus: skus.clone() });
        }
        skus
    }

    /// Cancels everything not shipped yet, with a prompt full refund.
    fn cancel_unshipped(&mut self, cause: CancelCause) {
        let refund = self.order.refund_for(Line::is_unshipped);
        self.cancel_lines(Line::is_unshipped);
        self.give_back(refund);
        let by = us_rule::refund_deadline(self.now);
        if !refund.is_zero() {
            self.effects.push(Effect::Refund { amount: refund, by });
        }
        self.send(Email::Cancelled {
            cause,
            refund,
            refund_by: by,
        });
        self.settle_after_waiting_ended();
    }

    fn give_back(&mut self, amount: Money) {
        self.order.returned = self
            .order
            .returned
            .checked_add(amount)
            .unwrap_or(self.order.paid);
    }

    /// Once nothing waits any more: no consent is needed, no offer stays
    /// open, no sequence email goes out, and the stage follows the lines.
    fn settle_after_waiting_ended(&mut self) {
        if self.order.waiting_lines().next().is_some() {
            return;
        }
        self.order.consent = match self.order.consent {
            Consent::Required { .. } => Consent::NotNeeded,
            other => other,
        };
        self.close_live_offer(OfferOutcome::Withdrawn { at: self.now });
        self.order.nurture_due = None;
        let lines = &self.order.lines;
        self.order.stage = if lines.iter().any(|l| l.state == LineState::Ready) {
            match self.order.stage {
                Stage::Waiting => Stage::Processing,
                other => other,
            }
        } else if lines.iter().any(|l| l.state == LineState::Shipped) {
            Stage::Shipped
        } else {
            Stage::Cancelled
        };
    }

    fn choose(&mut self, id: OfferId, choice: &Choice) -> Result<(), Rejection> {
        let Some(index) = self.order.offers.iter().position(|o| o.id == id) else {
            return Err(Rejection::UnknownOffer(id));
        };
        let offer = &self.order.offers[index];
        if let Some(OfferOutcome::Chosen { choice: chosen, .. }) = &offer.outcome {
            return match chosen == choice {
                true => Ok(()),
                false => Err(Rejection::AlreadyChose {
                    offer: id,
                    chosen: chosen.clone(),
                }),
            };
        }
        if !offer.is_live(self.now) {
            return Err(Rejection::OfferClosed(id));
        }
        let Some(option) = offer.options.iter().find(|o| o.matches(choice)).cloned() else {
            return Err(Rejection::NotOffered(id));
        };
        self.close_offer(
            index,
            OfferOutcome::Chosen {
                choice: choice.clone(),
                at: self.now,
            },
        );
        // Any answer but cancel is express consent to wait for whatever still
        // waits (16 CFR 435.2(b)): no further offer is pressed on them.
        if *choice != Choice::Cancel {
            self.order.consent = Consent::Given {
                at: self.now,
                indefinite: self.order.ship_by.is_none(),
            };
        }
        if self.take_option(choice, option, id)? == Confirm::Already {
            return Ok(());
        }
        // What the answer brought, said in its confirmation.
        let credit = self.effects.iter().find_map(|effect| match effect {
            Effect::IssueStoreCredit { value, bonus } => Some((*value, *bonus)),
            _ => None,
        });
        let expedited = self.effects.contains(&Effect::ExpediteShipping);
        self.send(Email::ChoiceConfirmed {
            choice: choice.clone(),
            credit,
            expedited,
        });
        self.settle_after_waiting_ended();
        Ok(())
    }

    /// Does what the chosen option means; whether the usual confirmation
    /// (an email, and settling what stopped waiting) follows, or the
    /// option's own work did all of it (a cancellation).
    fn take_option(
        &mut self,
        choice: &Choice,
        option: OfferedOption,
        id: OfferId,
    ) -> Result<Confirm, Rejection> {
        match (choice, option) {
            (Choice::KeepWaiting, OfferedOption::KeepWaiting { expedited }) => {
                if expedited {
                    self.effects.push(Effect::ExpediteShipping);
                }
            }
            (Choice::SwitchItem { sku }, OfferedOption::SwitchItem { alternatives }) => {
                for (from, to) in alternatives.iter().filter(|(_, to)| to == sku) {
                    for line in &mut self.order.lines {
                        if line.sku == *from && line.state == LineState::Waiting {
                            line.replaces = Some(line.sku.clone());
                            line.sku = to.clone();
                            line.state = LineState::Ready;
                            line.window = None;
                        }
                    }
                    self.effects.push(Effect::SwitchItem {
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
            }
            (Choice::ShipAvailableNow, OfferedOption::ShipAvailableNow { .. }) => {
                let mut skus = Vec::new();
                for line in &mut self.order.lines {
                    if line.state == LineState::Ready {
                        line.state = LineState::Shipped;
                        skus.push(line.sku.clone());
                    }
                }
                self.effects.push(Effect::ShipNow { skus });
            }
            (Choice::StoreCredit, OfferedOption::StoreCredit { .. }) => {
                // Recomputed rather than taken from the offer, so that credit
                // never exceeds what is left of the payment now.
                let value = self
                    .order
                    .refund_for(|line| line.state == LineState::Waiting);
                let bonus = value.percent(self.policy.store_credit_bonus_percent());
                self.cancel_lines(|line| line.state == LineState::Waiting);
                self.give_back(value);
                self.effects.push(Effect::IssueStoreCredit { value, bonus });
            }
            (Choice::Cancel, OfferedOption::Cancel { .. }) => {
                // The cancellation email, with refund and date, confirms it.
                self.cancel_unshipped(CancelCause::CustomerChose);
                return Ok(Confirm::Already);
            }
            _ => return Err(Rejection::NotOffered(id)),
        }
        Ok(Confirm::ByEmail)
    }

    /// Adds the status and wake-up effects and stamps the order.
    fn finish(mut self, before: Option<PublicStatus>) -> (Order, Vec<Effect>) {
        let now = self.now;
        let after = public_status(&self.order, now);
        if before.as_ref() != Some(&after) {
            self.effects.push(Effect::ShowStatus(after));
        }
        let order = &self.order;
        let open = order.stage.is_open();
        let candidates = [
            order.live_offer(now).map(|offer| offer.expires_at),
            match order.consent {
                Consent::Required { by } if open => Some(by),
                _ => None,
            },
            order
                .ship_by
                .filter(|_| open)
                .map(|date| Timestamp::start_of(date).plus_days(1)),
            order.nurture_due.filter(|_| order.stage == Stage::Waiting),
            order.follow_up_due,
            order.win_back_due,
        ];
        let next = candidates.into_iter().flatten().min();
        if next != self.order.wake_up {
            if let Some(at) = next {
                self.effects.push(Effect::WakeUpAt { at });
            }
            self.order.wake_up = next;
        }
        self.order.last_event_at = now;
        self.order.seq = self.order.seq.saturating_add(1);
        (self.order, self.effects)
    }
}
