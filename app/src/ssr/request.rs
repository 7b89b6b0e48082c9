//! What server functions ask of the request they answer: whether it is a plain form post, the
//! caller's address, and the finishing step every mutating server function shares. It works the
//! same with JavaScript (the page navigates) and without (the browser follows a redirect).

use super::flash;
use crate::error::AppError;
use crate::model::Flash;
use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// Whether this server-function call is a plain HTML form post (no JavaScript).
pub async fn is_plain_form() -> bool {
    leptos_axum::extract::<http::HeaderMap>()
        .await
        .ok()
        .and_then(|h| {
            h.get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The caller's address, for throttling and the audit trail: an extractor for plain routes.
/// `None` when the server was started without connection info (`oneshot` tests).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The caller's address inside a server function, written for the audit trail.
pub async fn client_addr() -> Option<String> {
    let ClientAddr(addr) = leptos_axum::extract::<ClientAddr>().await.ok()?;
    addr.map(|a| a.to_string())
}

/// Ends a mutating server function: on success, a plain form gets a notice for the next page
/// and a redirect to `ok_to`; a scripted call has its answer, and no notice is left to surface
/// on some later page (nor a session write paid for it). On failure, a plain form goes back to
/// the page it came from with the error kept in the session for that form (never in the URL,
/// where server_fn would put it and a crafted link could set it); a scripted call gets the error
/// (its HTTP status is set by the router's `server_fn_status`, which sees every error).
pub async fn finish<T>(
    result: Result<T, AppError>,
    ok_text: impl FnOnce(&T) -> String,
    ok_to: &str,
) -> Result<T, AppError> {
    let plain = is_plain_form().await;
    match &result {
        Ok(v) if plain => {
            flash::set(Flash {
                error: false,
                text: ok_text(v),
                in_form: false,
            })
            .await;
            leptos_axum::redirect(ok_to);
        }
        Ok(_) => {}
        Err(e) if plain => {
            let back = form_page().await.unwrap_or_else(|| ok_to.to_string());
            // Shown in the form when it goes back to a form page of its own (a drawer, Change
            // password); otherwise at the head of the page (the list's switch, the Admin area,
            // a post without a Referer).
            flash::set(Flash {
                error: true,
                text: e.to_string(),
                in_form: back != ok_to,
            })
            .await;
            // Replaces the Location server_fn set (the Referer with `__err` in it).
            leptos_axum::redirect(&back);
        }
        Err(_) => {}
    }
    result
}

/// The local page a plain form was posted from (its Referer), without server_fn's error
/// parameters.
async fn form_page() -> Option<String> {
    let headers = leptos_axum::extract::<http::HeaderMap>().await.ok()?;
    let referer = headers.get(http::header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "__err" && k != "__path")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut path = url.path().to_string();
    if !kept.is_empty() {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        path = format!("{path}?{query}");
    }
    crate::model::is_local_path(&path).then_some(path)
}
