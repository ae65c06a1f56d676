//! What a customer reaches with their link: the order's view, its live
//! connection and their choices; and the links the merchant makes for them.
//! The pages behind the links in emails are in `pages.rs`.

use serde::Deserialize;
use serde_json::json;
use shared::lifecycle::{Choice, Event, OfferId, OrderView};
use shared::{OrderId, ShopId};
use worker::{Method, Request, Response};

use super::{DEFAULT_LINK_DAYS, MAX_SETTING_BYTES, ShopRecords, parse_order};
use crate::calls::{Command, News, OrderStub, Outcome};
use crate::error::EdgeError;
use crate::{clock, http, links, storage};

impl ShopRecords {
    /// A customer's routes (each checks the link's token); `None` when the
    /// path is not one of them.
    pub(super) async fn customer_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
    ) -> Option<Result<Response, EdgeError>> {
        let ["v1", "shops", _, "orders", order, rest @ ..] = parts else {
            return None;
        };
        let order = match parse_order(order) {
            Ok(order) => order,
            Err(err) => return Some(Err(err)),
        };
        Some(match (method, rest) {
            (Method::Get, []) => self.customer_view(req, &order).await,
            (Method::Get, ["live"]) => self.live(req, &order).await,
            (Method::Post, ["choices"]) => self.choose(req, &order).await,
            (Method::Post, ["cancel"]) => self.cancel(req, &order).await,
            (Method::Get, ["page"]) => self.order_page(req, &order),
            (Method::Post, ["link"]) => self.fresh_link(req, &order).await,
            (_, [action @ ("confirm" | "unsubscribe")]) => {
                self.customer_page(req, &order, action).await
            }
            (_, [] | ["live"] | ["choices"] | ["cancel"] | ["page"] | ["link"]) => {
                Err(EdgeError::MethodNotAllowed)
            }
            _ => return None,
        })
    }

    pub(super) fn check_link(&self, req: &Request, order: &OrderId) -> Result<ShopId, EdgeError> {
        let shop = self.shop_id().map_err(|_| EdgeError::InvalidLink)?;
        let token = http::query_param(req, "t").ok_or(EdgeError::InvalidLink)?;
        let now = clock::now().unix_seconds();
        let opens = self.link_secrets()?.iter().any(|secret| {
            links::verify(secret, shop.as_str(), order.as_str(), &token, now).is_ok()
        });
        if !opens {
            return Err(EdgeError::InvalidLink);
        }
        Ok(shop)
    }

    async fn customer_view(&self, req: &Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(req, order)?;
        let view = storage::order_view(&self.env, &shop, order)
            .await?
            .ok_or_else(|| EdgeError::UnknownOrder(order.to_string()))?;
        let mut response = Response::from_json(&view)?;
        response.headers_mut().set("Cache-Control", "no-store")?;
        Ok(response)
    }

    /// An order page's live connection: the link is checked here, and the
    /// WebSocket upgrade goes on to the order's own object, which pushes
    /// each new view to it.
    async fn live(&self, req: &Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(req, order)?;
        OrderStub::get(&self.env, &shop, order)?
            .live(req.headers())
            .await
    }

    async fn choose(&self, req: &mut Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(req, order)?;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ChoiceBody {
            offer: u32,
            choice: Choice,
        }
        let body: ChoiceBody = http::json_body(req, MAX_SETTING_BYTES).await?;
        let view = self
            .apply_choice(&shop, order, body.offer, body.choice)
            .await?;
        http::json(&view, 200)
    }

    /// `POST …/cancel`: the customer cancels everything not shipped yet,
    /// whatever they answered before; no body.
    async fn cancel(&self, req: &mut Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(req, order)?;
        let body = http::body_bytes(req, MAX_SETTING_BYTES).await?;
        if !body.trim_ascii().is_empty() {
            return Err(EdgeError::InvalidBody("cancel takes no body".into()));
        }
        let view = self
            .apply_customer(&shop, order, Event::CustomerCancelled)
            .await?;
        http::json(&view, 200)
    }

    /// Records a customer's answer to an offer in the order's object (and
    /// indexes what the order now is); the view it produced, or the
    /// lifecycle's refusal with its own code.
    pub(super) async fn apply_choice(
        &self,
        shop: &ShopId,
        order: &OrderId,
        offer: u32,
        choice: Choice,
    ) -> Result<Option<OrderView>, EdgeError> {
        let event = Event::Chose {
            offer: OfferId(offer),
            choice,
        };
        self.apply_customer(shop, order, event).await
    }

    /// Applies what a customer did (a choice, a cancellation) in the
    /// order's object.
    async fn apply_customer(
        &self,
        shop: &ShopId,
        order: &OrderId,
        event: Event,
    ) -> Result<Option<OrderView>, EdgeError> {
        let command = Command {
            shop: shop.clone(),
            policy: self.policy()?,
            news: News::Event { event },
            key: None,
            swept: true,
        };
        let answer = self.apply_and_keep(order, &command).await?;
        match (answer.outcome, answer.rejection) {
            (Outcome::Rejected, Some(rejection)) => Err(EdgeError::Rejected {
                code: rejection.code,
                message: rejection.message,
                chosen: rejection.chosen,
            }),
            _ => Ok(answer.view),
        }
    }

    /// `POST …/links`: a fresh customer link to an order's page.
    pub(super) async fn make_link(
        &self,
        req: &mut Request,
        shop: &ShopId,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct LinkRequest {
            order: OrderId,
            #[serde(default, deserialize_with = "shared::present")]
            expires_in_days: Option<u16>,
        }
        let body: LinkRequest = http::json_body(req, MAX_SETTING_BYTES).await?;
        let days = body.expires_in_days.map_or(DEFAULT_LINK_DAYS, i64::from);
        let expires = clock::now().plus_days(days).unix_seconds();
        let secret = self.setting("link_secret")?.unwrap_or_default();
        let token = links::sign(&secret, shop.as_str(), body.order.as_str(), expires);
        let path = format!("/v1/shops/{shop}/orders/{}?t={token}", body.order);
        http::json(
            &json!({ "token": token, "path": path, "expires": expires }),
            200,
        )
    }
}
