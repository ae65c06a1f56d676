//! A shop's email templates: a merchant's own per language, checked on
//! every sample they take part in before they are kept, and previews of any
//! email as the shop's templates write it.

use serde::Deserialize;
use serde_json::{Value, json};
use shared::ShopId;
use shared::lifecycle::{EmailKind, Locale};
use worker::{Request, Response};

use super::sql::text_value;
use super::{ShopRecords, invalid};
use crate::error::EdgeError;
use crate::mail;
use crate::mail::facts;
use crate::mail::render::{self, MAX_TEMPLATE_BYTES, TemplateError};
use crate::{clock, http};

pub(super) fn locale_param(locale: &str) -> Result<Locale, EdgeError> {
    Locale::from_tag(locale)
        .filter(|known| known.code() == locale)
        .ok_or_else(|| invalid("locale", "one of en, it, ar"))
}

/// An email kind by its code.
pub(super) fn kind_param(kind: Option<&str>) -> Result<EmailKind, EdgeError> {
    kind.and_then(EmailKind::from_code).ok_or_else(|| {
        let kinds: Vec<&str> = EmailKind::ALL.map(EmailKind::code).to_vec();
        invalid("kind", format!("one of {}", kinds.join(", ")))
    })
}

pub(super) fn template_name(name: &str) -> Result<&str, EdgeError> {
    if render::built_in(name).is_some() {
        Ok(name)
    } else {
        Err(invalid(
            "name",
            "a template we ship: layout.html, layout.txt, or {kind}.html / {kind}.txt",
        ))
    }
}

impl ShopRecords {
    pub(super) fn overrides(&self, locale: Locale) -> Result<Vec<(String, String)>, EdgeError> {
        #[derive(Deserialize)]
        struct Override {
            name: String,
            source: String,
        }
        let rows: Vec<Override> = self.rows(
            "SELECT name, source FROM templates WHERE locale = ?",
            vec![text_value(locale.code())],
        )?;
        Ok(rows.into_iter().map(|row| (row.name, row.source)).collect())
    }

    /// The shop's templates in `locale` with `source` in place of `name`,
    /// once it is short enough and compiles on its own.
    fn with_draft(
        &self,
        locale: Locale,
        name: &str,
        source: &str,
    ) -> Result<Vec<(String, String)>, EdgeError> {
        if source.len() > MAX_TEMPLATE_BYTES {
            return Err(invalid(
                "source",
                format!("at most {MAX_TEMPLATE_BYTES} bytes"),
            ));
        }
        render::compile(name, source).map_err(EdgeError::InvalidTemplate)?;
        let mut overrides: Vec<(String, String)> = self
            .overrides(locale)?
            .into_iter()
            .filter(|(other, _)| other != name)
            .collect();
        overrides.push((name.to_owned(), source.to_owned()));
        Ok(overrides)
    }

    /// Renders every sample the template takes part in, in its language.
    fn try_templates(
        &self,
        shop: &ShopId,
        locale: Locale,
        name: &str,
        overrides: &[(String, String)],
    ) -> Result<(), TemplateError> {
        let kinds: Vec<EmailKind> = EmailKind::ALL
            .into_iter()
            .filter(|kind| {
                name.starts_with("layout.") || name.split('.').next() == Some(kind.code())
            })
            .collect();
        let shop_name = self.shop_name(shop).unwrap_or_else(|_| shop.to_string());
        let time_zone = self
            .policy()
            .map_or_else(|_| "UTC".to_owned(), |policy| policy.time_zone().to_owned());
        for kind in kinds {
            let (Some(email), Some(to)) = (
                mail::sample(kind, locale),
                mail::sample_addressing(
                    locale,
                    shop,
                    &shop_name,
                    &mail::public_url(&self.env),
                    &time_zone,
                ),
            ) else {
                continue;
            };
            render::render(kind.code(), &facts::facts(&email, &to), overrides)?;
        }
        Ok(())
    }

    pub(super) async fn put_template(
        &self,
        req: &mut Request,
        shop: &ShopId,
        locale: Locale,
        name: &str,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Source {
            source: String,
        }
        let body: Source = http::json_body(req, MAX_TEMPLATE_BYTES + 1024).await?;
        let overrides = self.with_draft(locale, name, &body.source)?;
        self.try_templates(shop, locale, name, &overrides)
            .map_err(EdgeError::InvalidTemplate)?;
        self.run(
            "INSERT INTO templates (locale, name, source, updated_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT(locale, name) DO UPDATE SET source = excluded.source,
                 updated_at = excluded.updated_at",
            vec![
                text_value(locale.code()),
                text_value(name),
                text_value(body.source),
                clock::now().unix_seconds().into(),
            ],
        )?;
        self.template_view(locale, name)
    }

    pub(super) fn template_view(&self, locale: Locale, name: &str) -> Result<Response, EdgeError> {
        let own = self
            .overrides(locale)?
            .into_iter()
            .find(|(other, _)| other == name)
            .map(|(_, source)| source);
        http::json(
            &json!({
                "locale": locale.code(),
                "name": name,
                "overridden": own.is_some(),
                "source": own.unwrap_or_else(|| render::built_in(name).unwrap_or_default().to_owned()),
            }),
            200,
        )
    }

    /// `GET …/emails/preview?kind=&locale=`: a sample as the shop's
    /// templates write it.
    pub(super) fn preview(&self, req: &Request, shop: &ShopId) -> Result<Response, EdgeError> {
        let locale =
            locale_param(&http::query_param(req, "locale").unwrap_or_else(|| "en".into()))?;
        let kind = kind_param(http::query_param(req, "kind").as_deref())?;
        let sample = self.render_sample(shop, kind, locale, &self.overrides(locale)?)?;
        http::json(&sample, 200)
    }

    /// `POST …/emails/preview {kind, locale, name, source}`: a sample with
    /// a draft of one template in place of the shop's, kept nowhere; a
    /// draft that does not compile or render is refused with its line.
    pub(super) async fn preview_draft(
        &self,
        req: &mut Request,
        shop: &ShopId,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Draft {
            kind: String,
            locale: String,
            name: String,
            source: String,
        }
        let draft: Draft = http::json_body(req, MAX_TEMPLATE_BYTES + 1024).await?;
        let locale = locale_param(&draft.locale)?;
        let kind = kind_param(Some(&draft.kind))?;
        let name = template_name(&draft.name)?;
        let overrides = self.with_draft(locale, name, &draft.source)?;
        let sample = self.render_sample(shop, kind, locale, &overrides)?;
        http::json(&sample, 200)
    }

    /// One sample email rendered with `overrides`: subject, HTML, text,
    /// headers and the fuel it took.
    pub(super) fn render_sample(
        &self,
        shop: &ShopId,
        kind: EmailKind,
        locale: Locale,
        overrides: &[(String, String)],
    ) -> Result<Value, EdgeError> {
        let email = mail::sample(kind, locale)
            .ok_or_else(|| EdgeError::Internal(format!("no sample of {kind:?}")))?;
        let shop_name = self.shop_name(shop)?;
        let to = mail::sample_addressing(
            locale,
            shop,
            &shop_name,
            &mail::public_url(&self.env),
            self.policy()?.time_zone(),
        )
        .ok_or_else(|| EdgeError::Internal("sample addressing".into()))?;
        let facts = facts::facts(&email, &to);
        let rendered =
            render::render(kind.code(), &facts, overrides).map_err(EdgeError::InvalidTemplate)?;
        let headers: serde_json::Map<String, Value> = mail::headers_for(&email, &to)
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        Ok(json!({
            "subject": rendered.subject,
            "html": rendered.html,
            "text": rendered.text,
            "headers": headers,
            "fuel": { "used": rendered.fuel, "budget": render::TEMPLATE_FUEL },
        }))
    }
}
