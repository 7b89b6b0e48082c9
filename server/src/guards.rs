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

/// Whether a state-changing request comes from our own pages: its `Origin` (or, failing that,
/// `Referer`) must be `GITPAT_PUBLIC_URL`'s scheme, host and port. Not the request's own `Host`:
/// a site whose name an attacker pointed at this server (DNS rebinding) sends matching `Host`
/// and `Origin`. A loopback public URL also accepts the other loopback names on its port.
fn same_origin(headers: &HeaderMap, public: &url::Url) -> bool {
    let Some(source) = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok())
    else {
        return false;
    };
    let loopback = |u: &url::Url| matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    source.scheme() == public.scheme()
        && source.port_or_known_default() == public.port_or_known_default()
        && (source.host_str() == public.host_str() || (loopback(public) && loopback(&source)))
}

/// Refuses cross-site (or origin-less) POSTs: the session cookie alone must not be enough.
pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let reads = req.method() == Method::GET || req.method() == Method::HEAD;
    if !reads && !same_origin(req.headers(), &state.public_url) {
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
    fn same_origin_means_the_public_url() {
        let public = url::Url::parse("http://127.0.0.1:3000/").unwrap();
        let ok = |pairs: &[(header::HeaderName, &str)]| same_origin(&headers(pairs), &public);
        assert!(ok(&[(header::ORIGIN, "http://127.0.0.1:3000")]));
        assert!(
            ok(&[(header::ORIGIN, "http://localhost:3000")]),
            "loopback names"
        );
        assert!(ok(&[(header::REFERER, "http://127.0.0.1:3000/login")]));
        assert!(!ok(&[(header::ORIGIN, "http://evil.example")]));
        assert!(
            !ok(&[(header::ORIGIN, "http://127.0.0.1:3001")]),
            "another port"
        );
        assert!(
            !ok(&[(header::ORIGIN, "https://127.0.0.1:3000")]),
            "another scheme"
        );
        assert!(!ok(&[(header::ORIGIN, "null")]));
        assert!(!ok(&[]));
        // DNS rebinding: Host and Origin agree, but they name another site.
        assert!(!ok(&[
            (header::HOST, "evil.example:3000"),
            (header::ORIGIN, "http://evil.example:3000")
        ]));
        let public = url::Url::parse("https://gitpat.example.com/").unwrap();
        let h = headers(&[(header::ORIGIN, "https://gitpat.example.com")]);
        assert!(same_origin(&h, &public));
        let h = headers(&[(header::ORIGIN, "https://localhost")]);
        assert!(
            !same_origin(&h, &public),
            "loopback only for a loopback public URL"
        );
    }
}
