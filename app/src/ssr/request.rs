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

/// The reverse proxies whose `X-Forwarded-For` is believed (`GITPAT_TRUSTED_PROXIES`: CIDRs or
/// addresses, comma-separated; none by default). The router puts it in every request.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(std::sync::Arc<[ipnet::IpNet]>);

impl TrustedProxies {
    pub fn parse(list: &str) -> Result<Self, String> {
        let nets = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("'{s}' is neither a CIDR (10.0.0.0/8) nor an address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies(nets.into()))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (read from the right, as each proxy appends the one it saw)
    /// that is not a trusted proxy itself. Anything a client wrote further left is not believed.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .rev()
        {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // Garbage where an address should be: stop at the last one we could read.
                Err(_) => break,
            }
        }
        client
    }
}

/// The caller's address, for throttling and the audit trail: an extractor for plain routes,
/// written once (server functions use it too). `None` when the server was started without
/// connection info (`oneshot` tests).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        else {
            return Ok(ClientAddr(None));
        };
        let Some(proxies) = parts.extensions.get::<TrustedProxies>() else {
            return Ok(ClientAddr(Some(peer)));
        };
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientAddr(Some(proxies.client(peer, &forwarded))))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1").unwrap();
        // Straight from a client: its own address, whatever it claims.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Through our proxy: the address the proxy saw.
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["203.0.113.9"]),
            ip("203.0.113.9")
        );
        // A client's own X-Forwarded-For is left of what our proxies appended: not believed.
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["6.6.6.6, 203.0.113.9, 192.0.2.1"]),
            ip("203.0.113.9")
        );
        // Several header lines count as one list.
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["6.6.6.6", "203.0.113.9"]),
            ip("203.0.113.9")
        );
        // IPv6, and garbage that stops the walk.
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["2001:db8::7"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["nonsense"]),
            ip("10.1.1.1")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }
}
