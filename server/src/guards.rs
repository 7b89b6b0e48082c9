//! The middleware around every route: the page guard (sign-in first), the cross-site check,
//! and the HTTP status of server-function errors.

use crate::web::encode;
use app::ssr::{auth, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Every page but the login page needs a signed-in user; strangers go to login and come back after.
pub async fn require_login(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    // Server functions check the session themselves and answer 401, which a script can handle;
    // a redirect to the sign-in page is for browsers asking for a page.
    if path == "/login" || path.starts_with("/api/") {
        return next.run(req).await;
    }
    match auth::session_user(&session, &state.reads).await {
        Ok(Some(user)) => {
            req.extensions_mut().insert(auth::SignedIn(user));
            next.run(req).await
        }
        Ok(None) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", encode(target))).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Whether a state-changing request comes from our own pages: its Origin (or, failing that,
/// Referer) must name the host it was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    match source {
        Some(u) => {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                None => u.host_str().unwrap_or_default().to_string(),
            };
            authority.eq_ignore_ascii_case(host)
        }
        None => false,
    }
}

/// Refuses cross-site (or origin-less) POSTs: the session cookie alone must not be enough.
pub async fn check_origin(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD && !same_origin(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(req).await
}

/// Leptos answers 500 for every server-function error; this gives each its own status: 401/403/
/// 404/422 from the error itself, 400 for arguments that do not parse (the caller's mistake).
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    use app::error::AppError;
    use leptos::server_fn::error::ServerFnErrorErr as E;
    let path = req.uri().path().to_string();
    if !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let mut res = next.run(req).await;
    if res.status() == StatusCode::INTERNAL_SERVER_ERROR {
        let (mut parts, body) = res.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        parts.status = match serde_json::from_slice::<AppError>(&bytes) {
            Ok(AppError::ServerFn(E::Args(_) | E::MissingArg(_) | E::Deserialization(_))) => {
                StatusCode::BAD_REQUEST
            }
            Ok(AppError::ServerFn(_)) | Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Ok(e) => e.status(),
        };
        res = Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    crate::telemetry::server_fn_call(&path, res.status().as_u16());
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_needs_a_matching_origin_or_referer() {
        let host = (header::HOST, "127.0.0.1:3000");
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://127.0.0.1:3000")
        ])));
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::REFERER, "http://127.0.0.1:3000/login")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "null")
        ])));
        assert!(!same_origin(&headers(&[host])));
    }
}
