//! Browser-like sessions over real HTTP against a `gitpat serve` process, and what the load and
//! crash tests do with them.

use crate::process::{PASSWORD, TOKEN_PAGE};
use rand::Rng;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One answer: status, body and how long it took.
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
    pub took: Duration,
}

/// A browser-like session: the session cookie and the `Origin` every POST needs.
#[derive(Clone)]
pub struct Session {
    http: reqwest::Client,
    pub base: String,
    cookie: Option<String>,
}

impl Session {
    /// Signs `email` in at `base`.
    pub async fn sign_in(base: &str, email: &str) -> Session {
        let mut s = Session {
            http: client(),
            base: base.to_string(),
            cookie: None,
        };
        let res = s
            .http
            .post(format!("{base}/login"))
            .header("Origin", base)
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        s.cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("gitpat_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string());
        assert!(
            res.status() == StatusCode::SEE_OTHER && s.cookie.is_some(),
            "sign-in of {email} failed: {}",
            res.status()
        );
        s
    }

    /// The same session against a restarted server.
    pub fn retarget(&mut self, base: &str) {
        self.base = base.to_string();
        self.http = client();
    }

    fn with_cookie(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => req.header("Cookie", format!("gitpat_session={c}")),
            None => req,
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Result<Answer> {
        let started = Instant::now();
        let res = self.with_cookie(req).send().await?;
        let status = res.status();
        let body = res.text().await?;
        Ok(Answer {
            status,
            body,
            took: started.elapsed(),
        })
    }

    /// A server function as the hydrated page calls it (JSON answer, no redirect).
    pub async fn call(&self, endpoint: &str, fields: &[(&str, String)]) -> reqwest::Result<Answer> {
        let req = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Origin", &self.base)
            .header("Accept", "application/json")
            .form(fields);
        self.send(req).await
    }

    pub async fn token_page(&self) -> reqwest::Result<Answer> {
        self.send(self.http.get(format!("{}{TOKEN_PAGE}", self.base)))
            .await
    }

    /// The token list as `runtime id -> last 4 characters of the token` (None: no token).
    pub async fn listed(&self) -> Result<HashMap<i64, Option<String>>, String> {
        let a = self.call("tokens", &[]).await.map_err(|e| e.to_string())?;
        if a.status != StatusCode::OK {
            return Err(format!("token list answered {}", a.status));
        }
        parse_list(&a.body)
    }
}

/// A random write on runtime `rt` holding `current`: a delete (40 % when there is a token) or
/// an add of another token from `pool`. Returns the token it leaves (None: none), the server
/// function and its fields.
pub fn random_write(
    rng: &mut impl Rng,
    rt: i64,
    current: &Option<String>,
    pool: &[String],
) -> (Option<String>, &'static str, Vec<(&'static str, String)>) {
    if current.is_some() && rng.gen_bool(0.4) {
        return (None, "delete_token", vec![("runtime_id", rt.to_string())]);
    }
    let choices: Vec<&String> = pool
        .iter()
        .filter(|t| Some(*t) != current.as_ref())
        .collect();
    let new = choices[rng.gen_range(0..choices.len())].clone();
    let fields = vec![("runtime_id", rt.to_string()), ("token", new.clone())];
    (Some(new), "add_token", fields)
}

/// `runtime id -> last4` from the token list's JSON.
pub fn parse_list(body: &str) -> Result<HashMap<i64, Option<String>>, String> {
    let rows: Vec<serde_json::Value> = serde_json::from_str(body).map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| {
            let id = r["runtime"]["id"]
                .as_i64()
                .ok_or("a row without a runtime id")?;
            Ok((id, r["token"]["last4"].as_str().map(str::to_string)))
        })
        .collect()
}

/// The last four characters a token list shows for a token.
pub fn last4(token: &Option<String>) -> Option<String> {
    token.as_ref().map(|t| t[t.len() - 4..].to_string())
}

/// The nearest-rank percentile of `v`, in milliseconds.
pub fn percentile_ms(v: &mut [Duration], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort();
    let rank = ((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1].as_secs_f64() * 1e3
}
