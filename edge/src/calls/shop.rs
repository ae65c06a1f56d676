//! The shop's object: its internal calls, their messages, the states it
//! keeps emails and actions in, and the typed stub every caller uses. Its
//! public API (the merchant's and the customers' routes) is forwarded to it
//! as it came, through [`ShopStub::forward`].

use serde::{Deserialize, Serialize};
use shared::ShopId;
use shared::lifecycle::Locale;
use worker::{Env, Request, Response, Stub};

use super::order::OrderIndex;
use super::queue::{ActionJob, EmailJob};
use crate::bindings;
use crate::error::EdgeError;
use crate::mail::provider::{Attempt, MailConfig};
use crate::mail::render::{Rendered, TemplateError};

/// The internal routes of a shop's object, shared by caller and receiver.
/// All are POSTs of JSON under `/internal/`, which the worker never forwards
/// (see this module's parent for the rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShopCall {
    /// [`CreateShop`] → 201, or 409 when the shop exists.
    Create,
    /// [`Taken`] → [`Indexed`].
    Index,
    /// A queue batch's `[EmailJob]` → `[EmailClaim]`, in the same order.
    ClaimEmails,
    /// `[EmailReport]` → `[Option<EmailSettled>]` (`None`: not known).
    ReportEmails,
    /// A queue batch's `[ActionJob]` → `[ActionClaim]`, in the same order.
    ClaimActions,
    /// `[ActionResult]` → `[ActionStatus]`, in the same order.
    ActionResults,
    /// A dead-lettered [`Job`] → 200.
    DeadLetter,
}

impl ShopCall {
    pub const ALL: [ShopCall; 7] = [
        ShopCall::Create,
        ShopCall::Index,
        ShopCall::ClaimEmails,
        ShopCall::ReportEmails,
        ShopCall::ClaimActions,
        ShopCall::ActionResults,
        ShopCall::DeadLetter,
    ];

    pub fn path(self) -> &'static str {
        match self {
            ShopCall::Create => "/internal/create",
            ShopCall::Index => "/internal/index",
            ShopCall::ClaimEmails => "/internal/emails/claim",
            ShopCall::ReportEmails => "/internal/emails/report",
            ShopCall::ClaimActions => "/internal/actions/claim",
            ShopCall::ActionResults => "/internal/actions/result",
            ShopCall::DeadLetter => "/internal/dead-letters",
        }
    }

    pub fn parse(path: &str) -> Option<ShopCall> {
        ShopCall::ALL.into_iter().find(|call| call.path() == path)
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CreateShop {
    pub shop: ShopId,
    pub api_key_hash: String,
    pub link_secret: String,
}

/// What the shop keeps of the commands its orders took: each order as it
/// now is, and the emails they queued. An email is in the log from the
/// moment it is queued, before any try, so that one whose queue message is
/// lost is still known (and found again) there.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Taken {
    pub orders: Vec<OrderIndex>,
    #[serde(default)]
    pub emails: Vec<EmailJob>,
    /// The actions they queued, listed for the back office from then on.
    #[serde(default)]
    pub actions: Vec<ActionJob>,
}

impl Taken {
    /// Adds what one order's answer says it now is and queued.
    pub fn add(&mut self, answer: super::order::Answer) {
        self.orders.extend(answer.index);
        self.emails.extend(answer.emails);
        self.actions.extend(answer.actions);
    }
}

/// How many of the orders sent were newer than what the shop had.
#[derive(Debug, Serialize, Deserialize)]
pub struct Indexed {
    pub indexed: usize,
}

/// Where an email is in its life; each state's wire code is its serde name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailState {
    /// Waiting for a (first or next) try.
    Queued,
    /// A delivery holds it (for a lease).
    Sending,
    Sent,
    /// Refused for good by the provider, or could not be written.
    Failed,
    /// Given up after the last try.
    Dead,
    /// An optional email to an address that unsubscribed.
    Suppressed,
    /// No address to send it to, or one that is not one plain mailbox.
    Skipped,
}

impl EmailState {
    pub const ALL: [EmailState; 7] = [
        EmailState::Queued,
        EmailState::Sending,
        EmailState::Sent,
        EmailState::Failed,
        EmailState::Dead,
        EmailState::Suppressed,
        EmailState::Skipped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EmailState::Queued => "queued",
            EmailState::Sending => "sending",
            EmailState::Sent => "sent",
            EmailState::Failed => "failed",
            EmailState::Dead => "dead",
            EmailState::Suppressed => "suppressed",
            EmailState::Skipped => "skipped",
        }
    }

    pub fn from_code(code: &str) -> Option<EmailState> {
        EmailState::ALL
            .into_iter()
            .find(|state| state.code() == code)
    }

    /// A state an email never leaves by itself (only `send-again` does).
    pub fn is_settled(self) -> bool {
        !matches!(self, EmailState::Queued | EmailState::Sending)
    }
}

/// Where an action for the back office is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Pending,
    Done,
    Failed,
}

impl ActionState {
    pub const ALL: [ActionState; 3] =
        [ActionState::Pending, ActionState::Done, ActionState::Failed];

    pub fn code(self) -> &'static str {
        match self {
            ActionState::Pending => "pending",
            ActionState::Done => "done",
            ActionState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<ActionState> {
        ActionState::ALL
            .into_iter()
            .find(|state| state.code() == code)
    }
}

/// What the shop's object answers to an email's claim.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmailClaim {
    /// Whether to send now.
    pub go: bool,
    pub state: EmailState,
    /// Someone else holds the email: ask again after this long.
    pub retry_in: Option<u32>,
    pub attempts: u32,
    /// Tries made before this one, counted or not, sent again or not: a
    /// provider that can be asked is asked whether one of them went.
    pub earlier_tries: u32,
    pub config: Option<MailConfig>,
    /// The shop's own templates for this email's language, by name.
    pub overrides: Vec<(String, String)>,
    pub shop_name: String,
    pub token: String,
    pub shop_locale: Locale,
    /// The shop's time zone (IANA name), for deadlines in its emails.
    pub shop_time_zone: String,
    /// The merchant's own order page (a URL template), if they gave one.
    #[serde(default)]
    pub order_page_url: Option<String>,
}

/// What the consumer reports after a try.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmailReport {
    pub key: String,
    pub provider: String,
    pub sent: Attempt,
    pub rendered: Option<Rendered>,
    /// A merchant template that failed at send time (the built-in one went).
    pub template_error: Option<TemplateError>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmailSettled {
    pub state: EmailState,
    /// Tries so far, reached or not: what the wait before the next grows by.
    pub tries: u32,
}

/// What the shop says about an action before it is sent.
#[derive(Debug, Serialize, Deserialize)]
pub struct ActionClaim {
    pub state: ActionState,
    pub endpoint: Option<Endpoint>,
}

/// The merchant's endpoint for actions, with its signing secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoint {
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ActionResult {
    pub key: String,
    pub ok: bool,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ActionStatus {
    pub state: ActionState,
    pub attempts: u32,
}

/// The one way to reach a shop's object.
#[derive(Debug)]
pub struct ShopStub(Stub);

impl ShopStub {
    pub fn get(env: &Env, shop: &ShopId) -> Result<ShopStub, EdgeError> {
        Ok(ShopStub(
            env.durable_object(bindings::SHOPS)?
                .get_by_name(shop.as_str())?,
        ))
    }

    /// The merchant's or a customer's request, as it came (its body read
    /// into memory), for the object to authenticate and answer.
    pub async fn forward(&self, req: Request) -> Result<Response, EdgeError> {
        Ok(self.0.fetch_with_request(req).await?)
    }

    pub async fn create(&self, create: &CreateShop) -> Result<(), EdgeError> {
        let shop = create.shop.to_string();
        let _: serde_json::Value =
            super::post_or(&self.0, ShopCall::Create.path(), create, |status, _| {
                (status == 409).then(|| EdgeError::ShopExists(shop.clone()))
            })
            .await?;
        Ok(())
    }

    pub async fn index(&self, taken: &Taken) -> Result<Indexed, EdgeError> {
        super::post(&self.0, ShopCall::Index.path(), taken).await
    }

    /// Claims a queue batch's emails in one call, answered in order.
    pub async fn claim_emails(&self, jobs: &[&EmailJob]) -> Result<Vec<EmailClaim>, EdgeError> {
        super::post_batch(&self.0, ShopCall::ClaimEmails.path(), jobs).await
    }

    /// Reports a batch's tries in one call, answered in order.
    pub async fn report_emails(
        &self,
        reports: &[EmailReport],
    ) -> Result<Vec<Option<EmailSettled>>, EdgeError> {
        super::post_batch(&self.0, ShopCall::ReportEmails.path(), reports).await
    }

    /// Claims a queue batch's actions in one call, answered in order.
    pub async fn claim_actions(
        &self,
        actions: &[&ActionJob],
    ) -> Result<Vec<ActionClaim>, EdgeError> {
        super::post_batch(&self.0, ShopCall::ClaimActions.path(), actions).await
    }

    /// Reports a batch's tries in one call, answered in order.
    pub async fn action_results(
        &self,
        results: &[ActionResult],
    ) -> Result<Vec<ActionStatus>, EdgeError> {
        super::post_batch(&self.0, ShopCall::ActionResults.path(), results).await
    }

    pub async fn dead_letter(&self, job: &super::Job) -> Result<(), EdgeError> {
        let _: serde_json::Value = super::post(&self.0, ShopCall::DeadLetter.path(), job).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_reads_back_from_its_path_and_all_are_internal() {
        for call in ShopCall::ALL {
            assert_eq!(ShopCall::parse(call.path()), Some(call));
            assert!(call.path().starts_with("/internal/"), "{call:?}");
        }
        assert_eq!(ShopCall::parse("/v1/shops/x/internal/create"), None);
    }

    /// The wire code of each state is its serde name, and reads back.
    #[test]
    fn state_codes_agree_with_serde() {
        for state in EmailState::ALL {
            let json = serde_json::to_value(state).expect("serialises");
            assert_eq!(json, serde_json::Value::from(state.code()));
            assert_eq!(EmailState::from_code(state.code()), Some(state));
        }
        for state in ActionState::ALL {
            let json = serde_json::to_value(state).expect("serialises");
            assert_eq!(json, serde_json::Value::from(state.code()));
            assert_eq!(ActionState::from_code(state.code()), Some(state));
        }
        assert_eq!(EmailState::from_code("lost"), None);
        assert_eq!(ActionState::from_code("Pending"), None);
    }
}
