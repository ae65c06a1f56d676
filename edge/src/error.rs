//! The worker's one error type, and the one place where an error becomes an
//! HTTP status and a JSON body `{"error": {"code": ..., "message": ...}}`.

use serde::Serialize;
use shared::lifecycle::{Choice, RejectionCode};
use worker::Response;

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("no such resource")]
    NotFound,
    #[error("this method is not allowed on this resource")]
    MethodNotAllowed,
    #[error("no product {sku} is known for this shop")]
    UnknownProduct { sku: String },
    #[error("a valid bearer token, or a console session, is required")]
    Unauthorized,
    #[error("your role may not do this; ask the shop's owner")]
    Forbidden,
    #[error("a change made with a session must come from the console's own page")]
    CrossSite,
    #[error("the webhook's signature is missing or does not match: {0}")]
    BadSignature(&'static str),
    #[error("this link is not valid for this order, or it has expired")]
    InvalidLink,
    #[error("the shop {0} exists already")]
    ShopExists(String),
    #[error("no order {0} is tracked for this shop")]
    UnknownOrder(String),
    /// The lifecycle refused the customer's or the store's event: its own
    /// code and status (`rejection_status`), and for `already_chosen` the
    /// choice on record.
    #[error("{message}")]
    Rejected {
        code: RejectionCode,
        message: String,
        chosen: Option<Choice>,
    },
    #[error("{field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    #[error("the template does not work: {0}")]
    InvalidTemplate(crate::mail::render::TemplateError),
    #[error("the request body is not valid: {0}")]
    InvalidBody(String),
    #[error("too many pages follow this order at once; try again later")]
    TooManyConnections,
    #[error("the request body must be at most {max} bytes")]
    BodyTooLarge { max: usize },
    /// A failure of storage or the runtime. Its text is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl From<worker::Error> for EdgeError {
    fn from(err: worker::Error) -> EdgeError {
        EdgeError::Internal(err.to_string())
    }
}

/// The runtime's own failures, described in words (crypto, storage shapes).
impl From<String> for EdgeError {
    fn from(err: String) -> EdgeError {
        EdgeError::Internal(err)
    }
}

impl From<worker::KvError> for EdgeError {
    fn from(err: worker::KvError) -> EdgeError {
        EdgeError::Internal(format!("KV: {err}"))
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    /// The choice already recorded, for `already_chosen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen: Option<Choice>,
    /// Which template failed, and on which line, for `invalid_template`.
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// The field of the request that is not valid, for `invalid_input`, so
    /// that a form shows the reason beside it.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'static str>,
}

/// A field of the request that is not valid, and why.
pub fn invalid(field: &'static str, reason: impl Into<String>) -> EdgeError {
    EdgeError::InvalidInput {
        field,
        reason: reason.into(),
    }
}

impl EdgeError {
    fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            EdgeError::NotFound => (404, "not_found"),
            EdgeError::MethodNotAllowed => (405, "method_not_allowed"),
            EdgeError::UnknownProduct { .. } => (404, "unknown_product"),
            EdgeError::Unauthorized => (401, "unauthorized"),
            EdgeError::Forbidden => (403, "forbidden"),
            EdgeError::CrossSite => (403, "cross_site"),
            EdgeError::BadSignature(_) => (401, "bad_signature"),
            EdgeError::InvalidLink => (403, "invalid_link"),
            EdgeError::ShopExists(_) => (409, "shop_exists"),
            EdgeError::UnknownOrder(_) => (404, "unknown_order"),
            EdgeError::Rejected { code, .. } => (rejection_status(*code), code.code()),
            EdgeError::InvalidInput { .. } => (400, "invalid_input"),
            EdgeError::InvalidTemplate(_) => (400, "invalid_template"),
            EdgeError::InvalidBody(_) => (400, "invalid_body"),
            EdgeError::BodyTooLarge { .. } => (413, "body_too_large"),
            EdgeError::TooManyConnections => (429, "too_many_connections"),
            EdgeError::Internal(_) => (500, "internal"),
        }
    }

    /// The response a client gets for this error. Only `Internal` hides its
    /// text from the client; the other messages describe the client's input.
    pub fn into_response(self) -> worker::Result<Response> {
        // CORS is added once, in the entry point, to every answer.
        let (status, code) = self.status_and_code();
        if let EdgeError::Internal(detail) = &self {
            worker::console_error!("internal error: {detail}");
        }
        let message = self.to_string();
        let (template, line) = match &self {
            EdgeError::InvalidTemplate(err) => (Some(err.template.clone()), err.line),
            _ => (None, None),
        };
        let field = match &self {
            EdgeError::InvalidInput { field, .. } => Some(*field),
            _ => None,
        };
        let chosen = match self {
            EdgeError::Rejected { chosen, .. } => chosen,
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                chosen,
                template,
                line,
                field,
            },
        };
        let mut response = Response::from_json(&body)?.with_status(status);
        if status == 401 && code == "unauthorized" {
            response.headers_mut().set("WWW-Authenticate", "Bearer")?;
        }
        Ok(response)
    }
}

/// The status of each refusal of the lifecycle: 404 for what does not
/// exist, 400 for what could never be taken, 409 for what the order's state
/// no longer allows.
fn rejection_status(code: RejectionCode) -> u16 {
    match code {
        RejectionCode::UnknownOrder | RejectionCode::UnknownOffer => 404,
        RejectionCode::InvalidOrder
        | RejectionCode::MissingExplanation
        | RejectionCode::MissingShipmentDetails
        | RejectionCode::NotOffered => 400,
        RejectionCode::AlreadyPlaced
        | RejectionCode::NotWaiting
        | RejectionCode::WrongStage
        | RejectionCode::OfferClosed
        | RejectionCode::AlreadyChosen
        | RejectionCode::TimeWentBackwards => 409,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal leaves as its own code, never another's.
    #[test]
    fn each_rejection_has_its_own_code_and_a_client_status() {
        for code in RejectionCode::ALL {
            let error = EdgeError::Rejected {
                code,
                message: String::new(),
                chosen: None,
            };
            let (status, wire) = error.status_and_code();
            assert_eq!(wire, code.code());
            assert!((400..500).contains(&status), "{code:?}: {status}");
        }
    }
}
