//! Plain HTTP routes: health, sign-in and out, the OAuth start and callback. The middleware
//! around every route is in `guards`.

use app::model::AuditAction;
use app::model::Flash;
use app::ssr::crypto::sha256_hex;
use app::ssr::db::{on_db, Db};
use app::ssr::request::ClientAddr;
use app::ssr::store::rate_limits;
use app::ssr::{auth, flash, oauth, store, AppState};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum::{Form, Json};
use serde::Deserialize;
use std::net::IpAddr;

use tower_sessions::Session;

pub const DEFAULT_LANDING: &str = "/git-personal-access-tokens";

/// 200 with JSON once the database answers; 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match on_db!(&state.pool, |e| sqlx::query_scalar::<_, i64>(
        "SELECT CAST(1 AS BIGINT)"
    )
    .fetch_one(e)
    .await)
    {
        Ok(_) => Json(serde_json::json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "error", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub(crate) fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Where to go after sign-in: the requested local path, else the token page.
fn landing(next: &str) -> &str {
    if app::model::is_local_path(next) && !next.starts_with("/login") {
        next
    } else {
        DEFAULT_LANDING
    }
}

/// Sign-in attempts allowed per minute, counted in the database so that they hold across
/// nodes: `per_email` for one email from one client address; ten times that for one email from
/// everywhere (someone else's failures cannot soon lock a user out of their own address); six
/// times that per client address (IPv6 per /64, as one host usually holds a whole /64).
#[derive(Clone, Copy, Debug)]
pub struct LoginThrottle {
    per_email: u32,
}

impl LoginThrottle {
    pub fn new(per_email: u32) -> Self {
        LoginThrottle { per_email }
    }

    /// Counts an attempt; `Ok(Err(seconds))` when it must wait.
    pub async fn check(
        &self,
        pool: &Db,
        email: &str,
        addr: Option<IpAddr>,
    ) -> sqlx::Result<Result<(), u64>> {
        let n = self.per_email;
        let net = addr.map_or_else(|| "unknown".to_string(), network_of);
        // The address first: one over its limit adds no key for each email it makes up.
        if let Err(wait) = rate_limits::hit(pool, &format!("login/addr/{net}"), n * 6).await? {
            return Ok(Err(wait));
        }
        // Keys of a fixed length whatever was typed, and no email stored in clear.
        let email = sha256_hex(&email.trim().to_lowercase());
        let here = format!("login/email-addr/{email}/{net}");
        if let Err(wait) = rate_limits::hit(pool, &here, n).await? {
            return Ok(Err(wait));
        }
        rate_limits::hit(pool, &format!("login/email/{email}"), n * 10).await
    }
}

/// The network an address is counted under: itself for IPv4, its /64 for IPv6.
fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The stylesheet's URL: with hashed file names, the hash comes from the `hash.txt` that
/// cargo-leptos writes beside the binary (as Leptos' own `HashedStylesheet` reads it).
fn stylesheet_href(options: &leptos::config::LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            let exe = std::env::current_exe().ok()?;
            let text =
                std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()?;
            text.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("css:")
                    .map(|h| format!(".{}", h.trim()))
            })
        })
        .flatten()
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.css",
        options.site_pkg_dir, options.output_name
    )
}

fn throttled(options: &leptos::config::LeptosOptions, wait: u64) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><title>Sign in · gitpat</title><link rel=\"stylesheet\" href=\"{}\"></head>\
         <body><main class=\"login\"><div class=\"card login-card\"><h1>Sign in</h1>\
         <p class=\"alert error\" role=\"alert\">{}</p><p><a href=\"/login\">Back to sign in</a></p></div></main></body></html>",
        stylesheet_href(options),
        app::pages::login::LOGIN_THROTTLED
    );
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, wait.to_string())],
        axum::response::Html(body),
    )
        .into_response()
}

pub async fn login(
    State(state): State<AppState>,
    Extension(throttle): Extension<LoginThrottle>,
    ClientAddr(addr): ClientAddr,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    match throttle.check(&state.pool, &form.email, addr).await {
        Ok(Ok(())) => {}
        Ok(Err(wait)) => {
            tracing::warn!("sign-in throttled");
            return throttled(&state.leptos_options, wait);
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in throttle unavailable");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let addr = addr.map(|a| a.to_string());
    match auth::verify_login(&state.pool, &form.email, &form.password).await {
        Ok(Some(user)) => match auth::log_in(&session, &user).await {
            Ok(()) => {
                tracing::info!(user_id = user.id, "signed in");
                let _ = store::audit(
                    &state.pool,
                    Some(user.id),
                    None,
                    AuditAction::LoginSuccess,
                    "",
                    addr.as_deref(),
                )
                .await;
                Redirect::to(landing(&form.next)).into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "could not start a session");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        Ok(None) => {
            let known = store::user_by_email(&state.pool, form.email.trim())
                .await
                .ok()
                .flatten()
                .map(|u| u.id);
            let _ = store::audit(
                &state.pool,
                known,
                None,
                AuditAction::LoginFailure,
                "",
                addr.as_deref(),
            )
            .await;
            let next = if app::model::is_local_path(&form.next) {
                form.next.as_str()
            } else {
                ""
            };
            Redirect::to(&format!("/login?error=1&next={}", encode(next))).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub async fn logout(session: Session) -> Response {
    if let Err(e) = auth::log_out(&session).await {
        tracing::error!(error = %e, "could not end a session");
    }
    Redirect::to("/login").into_response()
}

#[derive(Deserialize)]
pub struct OAuthStart {
    runtime_id: i64,
}

async fn notice(session: &Session, error: bool, text: String) {
    flash::put(
        session,
        Flash {
            error,
            text,
            in_form: false,
        },
    )
    .await;
}

/// "Authorize Access to <Provider>": starts the OAuth flow and sends the user to the provider.
pub async fn oauth_start(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<OAuthStart>,
) -> Response {
    let user = match auth::session_user(&session, &state.pool).await {
        Ok(Some(u)) => u,
        _ => return Redirect::to("/login").into_response(),
    };
    match oauth::start(&state, &session, user.id, f.runtime_id).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => {
            notice(&session, true, e.to_string()).await;
            Redirect::to(DEFAULT_LANDING).into_response()
        }
    }
}

/// Where the provider sends the user back; always ends on the token page with a notice.
pub async fn oauth_callback(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    session: Session,
    req: Request,
) -> Response {
    let addr = addr.map(|a| a.to_string());
    let query: oauth::CallbackQuery = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let user = match auth::session_user(&session, &state.pool).await {
        Ok(Some(u)) => u,
        _ => {
            return Redirect::to(&format!("/login?next={}", encode(DEFAULT_LANDING)))
                .into_response()
        }
    };
    match oauth::callback(&state, &session, user.id, query, addr, chrono::Utc::now()).await {
        Ok(rt) => {
            tracing::info!(
                user_id = user.id,
                runtime_id = rt.id,
                "authorized with OAuth"
            );
            notice(
                &session,
                false,
                format!(
                    "Access to {} authorized with {}.",
                    rt.name,
                    rt.provider.family()
                ),
            )
            .await;
        }
        Err(e) => notice(&session, true, e.to_string()).await,
    }
    Redirect::to(DEFAULT_LANDING).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_is_local_only() {
        assert_eq!(
            landing("/git-personal-access-tokens?account=2"),
            "/git-personal-access-tokens?account=2"
        );
        assert_eq!(landing("https://evil.example/"), DEFAULT_LANDING);
        assert_eq!(landing("//evil.example/"), DEFAULT_LANDING);
        assert_eq!(landing(""), DEFAULT_LANDING);
    }
}
