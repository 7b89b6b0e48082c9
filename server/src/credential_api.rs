//! The runtime API: a GitOps Runtime, authenticated by its own API key, reads the Git credential
//! of one of its account's users. JSON, never cached, rate limited per key, every read audited.

use app::model::AuditAction;
use app::ssr::credentials::{self, Refusal};
use app::ssr::request::ClientAddr;
use app::ssr::store::{self, rate_limits};
use app::ssr::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Reads one key may make per minute.
pub const READS_PER_MINUTE: u32 = 120;

#[derive(Clone)]
struct ApiState {
    app: AppState,
    /// Reads per minute and key, counted in the database (so across nodes).
    per_minute: u32,
}

pub fn router(app: AppState, per_minute: u32) -> Router {
    Router::new()
        .route("/v1/credential", get(credential))
        .with_state(ApiState { app, per_minute })
}

#[derive(Deserialize)]
struct CredentialQuery {
    #[serde(default)]
    user: String,
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn refuse(status: StatusCode, message: &str) -> Response {
    answer(status, json!({ "error": message }))
}

async fn credential(
    State(st): State<ApiState>,
    ClientAddr(caller): ClientAddr,
    headers: HeaderMap,
    Query(q): Query<CredentialQuery>,
) -> Response {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let (runtime_id, prefix) = match credentials::runtime_of_key(&st.app.pool, key).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "a valid runtime API key is required",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "runtime key lookup failed");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let key = format!("runtime-api/{prefix}");
    let limited = rate_limits::hit(&st.app.pool, &key, st.per_minute);
    let wait = match limited.await {
        Ok(Ok(())) => None,
        Ok(Err(wait)) => Some(wait),
        Err(e) => {
            tracing::error!(error = %e, "runtime API rate limit unavailable");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    if let Some(wait) = wait {
        let mut res = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests for this key",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return res;
    }
    if q.user.trim().is_empty() || q.user.len() > 320 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the user parameter (an email address) is required",
        );
    }
    let result = credentials::credential_for(&st.app, runtime_id, q.user.trim()).await;
    let (outcome, response) = match result {
        Ok(Ok(c)) => (
            "ok",
            answer(StatusCode::OK, serde_json::to_value(&c).unwrap_or_default()),
        ),
        Ok(Err(r)) => {
            let status = match r {
                Refusal::NotMember => StatusCode::FORBIDDEN,
                Refusal::NoToken => StatusCode::NOT_FOUND,
                Refusal::Unusable(_) => StatusCode::CONFLICT,
            };
            ("refused", refuse(status, &r.to_string()))
        }
        Err(e) => {
            tracing::error!(error = %e, runtime_id, "credential read failed");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let user_id = store::user_by_email(&st.app.pool, q.user.trim())
        .await
        .ok()
        .flatten()
        .map(|u| u.id);
    let detail = format!(
        "key={prefix} outcome={outcome} status={}",
        response.status().as_u16()
    );
    if let Err(e) = store::audit(
        &st.app.pool,
        user_id,
        Some(runtime_id),
        AuditAction::CredentialRead,
        &detail,
        caller.map(|a| a.to_string()).as_deref(),
    )
    .await
    {
        tracing::error!(error = %e, "audit write failed");
    }
    response
}
