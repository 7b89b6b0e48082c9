//! The HTTP router: Leptos pages and server functions, plain routes, static files, and the
//! layers around them (sessions, login guard, cross-site check, security headers, body limit).

use crate::sessions::Sessions;
use crate::{guards, telemetry, web};
use app::ssr::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};
use leptos::prelude::provide_context;
use leptos_axum::{
    generate_route_list, handle_server_fns_with_context, AxumRouteListing, LeptosRoutes,
};
use std::sync::LazyLock;
use tower::util::option_layer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Name of the session cookie over http (development, loopback).
pub const SESSION_COOKIE: &str = "gitpat_session";
/// Name of the session cookie under https.
pub const SECURE_SESSION_COOKIE: &str = "__Host-gitpat_session";
/// `Strict-Transport-Security` under https: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";
/// Sessions end after this long without a request.
pub const SESSION_IDLE: time::Duration = time::Duration::hours(8);
/// Requests are small forms; anything larger is refused before it is read.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest a request may take to start its answer (an OAuth callback makes two provider calls
/// of at most 5 s each).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Creates the session table if needed and returns the store.
pub async fn session_store(state: &AppState) -> anyhow::Result<Sessions> {
    Sessions::open(&state.pool).await
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), req).await
}

/// The app's routes, listed once per process. Listing them runs the app under leptos' process-wide
/// "suppress resource loading" flag, and a resource first polled on another thread meanwhile
/// waits forever (docs/spa.md): a test binary building a router per test while other tests
/// render pages hung that way now and then.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(app::App));

/// The whole application, ready to serve (or to `oneshot` in tests).
/// `login_per_minute` bounds sign-in attempts per email (and six times that per client address).
pub fn app(
    state: AppState,
    store: Sessions,
    secure_cookies: bool,
    login_per_minute: u32,
) -> Router {
    telemetry::handle();
    let throttle = web::LoginThrottle::new(login_per_minute);
    let routes = ROUTES.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            guards::require_login,
        ));

    // Under https the cookie is `__Host-` prefixed: the browser then takes it only as Secure,
    // for this host alone and every path, so no sibling subdomain can set or shadow it.
    let cookie_name = if secure_cookies {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    let sessions = SessionManagerLayer::new(store)
        .with_name(cookie_name)
        .with_secure(secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));

    Router::new()
        .route("/healthz", get(web::healthz))
        // For the operator's scraper; put it behind the reverse proxy's access rules.
        .route("/metrics", get(telemetry::render))
        .route("/login", post(web::login))
        .route("/logout", post(web::logout))
        .route("/oauth/start", post(web::oauth_start))
        .route("/oauth/callback", get(web::oauth_callback))
        .nest_service(
            "/runtime-api",
            crate::credential_api::router(state.clone(), crate::credential_api::READS_PER_MINUTE),
        )
        .nest_service("/pkg", assets(&state))
        .route(
            "/api/{*fn_name}",
            post(server_fn_handler).get(server_fn_handler),
        )
        .merge(pages)
        .route_layer(middleware::from_fn(telemetry::track))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        // A safety net: a response still unstarted after this (providers time out long before)
        // frees its connection with a 503 instead of holding it.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(Extension(throttle))
        .layer(Extension(state.trusted_proxies.clone()))
        .layer(middleware::from_fn(guards::server_fn_status))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::check_origin,
        ))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        // Pages, server-function answers, JS and CSS. The WASM is precompressed at build time
        // (scripts/precompress.mjs): on the fly it would cost far more than it saves locally.
        .layer(CompressionLayer::new().br(true).gzip(true).compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/wasm")),
        ))
        // Pages set their own, with their nonce; everything else gets the one without.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&app::ssr::content_security_policy(None))
                .expect("the policy is ASCII"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(option_layer(secure_cookies.then(|| {
            SetResponseHeaderLayer::overriding(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            )
        })))
        // Outermost: every request gets an id (unless its proxy gave one), a span with it that
        // every log line of the request carries, and the id back in its answer.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The compiled JS, WASM and CSS: `.br`/`.gz` siblings (from scripts/precompress.mjs) are served
/// to browsers that accept them; names with a content hash are cached for a year, the rest
/// (an unhashed development build) revalidated on every use.
fn assets(state: &AppState) -> Router {
    let dir = std::path::Path::new(state.leptos_options.site_root.as_ref())
        .join(state.leptos_options.site_pkg_dir.as_ref());
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(middleware::map_response(
            |uri: axum::http::Uri, mut res: axum::response::Response| async move {
                let cache = if res.status().is_success() && is_hashed(uri.path()) {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                res
            },
        ))
}

/// `gitpat.Xb3k…Q.wasm`: a name with a content hash (cargo-leptos: MD5 in unpadded base64url)
/// between the stem and the extension.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    parts.next();
    parts.next().is_some_and(|h| {
        h.len() >= 16
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) && parts.next().is_some()
}

/// Serves until Ctrl-C or SIGTERM, with TCP_NODELAY on every connection (without it a
/// keep-alive connection stalls ~40 ms per static file: Nagle and delayed ACK).
pub async fn serve(router: Router, addr: std::net::SocketAddr) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(is_hashed("/gitpat.9ba1c1b1e0f2a0d4c1e2.wasm"));
        assert!(is_hashed("/gitpat.q-9FZ_ob0ZTlJb3WtwlDbQ.wasm.br"));
        assert!(!is_hashed("/gitpat.wasm"));
        assert!(!is_hashed("/gitpat_bg.wasm"));
        assert!(!is_hashed("/gitpat.css"));
    }
}
