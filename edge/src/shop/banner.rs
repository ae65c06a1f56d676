//! The merchant's banner routes; the banner and the shop's public copy are
//! in `crate::front`.

use serde_json::json;
use shared::ShopId;
use worker::{Method, Request, Response};

use super::sql::to_text;
use super::{MAX_SETTING_BYTES, ShopRecords};
use crate::error::EdgeError;
use crate::front::{Banner, ShopFront};
use crate::{clock, http, storage};

impl ShopRecords {
    pub(super) async fn front_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
        shop: &ShopId,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "banner"]) => self
                .banner()
                .and_then(|banner| http::json(&json!({ "banner": banner }), 200)),
            (Method::Put, ["v1", "shops", _, "banner"]) => self.set_banner(req, shop).await,
            (Method::Delete, ["v1", "shops", _, "banner"]) => self.clear_banner(shop).await,
            _ => return None,
        })
    }

    fn banner(&self) -> Result<Option<Banner>, EdgeError> {
        Ok(self
            .setting("banner")?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    async fn set_banner(&self, req: &mut Request, shop: &ShopId) -> Result<Response, EdgeError> {
        let banner: Banner = http::json_body(req, MAX_SETTING_BYTES).await?;
        banner.check(clock::today())?;
        self.set_setting("banner", &to_text(&banner)?)?;
        self.publish_front(shop).await?;
        http::json(&json!({ "banner": banner }), 200)
    }

    async fn clear_banner(&self, shop: &ShopId) -> Result<Response, EdgeError> {
        self.run("DELETE FROM settings WHERE name = 'banner'", Vec::new())?;
        self.publish_front(shop).await?;
        Ok(Response::empty()?.with_status(204))
    }

    /// Writes the shop's public copy (its language, its banner) to KV.
    pub(super) async fn publish_front(&self, shop: &ShopId) -> Result<(), EdgeError> {
        let front = ShopFront {
            locale: self.policy()?.locale().code().to_owned(),
            banner: self.banner()?,
        };
        storage::put_shop_front(&self.env, shop, &front).await
    }
}
