//! `gitpat credential`: a git credential helper. Git runs it as `gitpat credential get` with
//! `protocol=…`/`host=…` lines on stdin; it asks the runtime API for the user's token and prints
//! `username=`/`password=` lines — nothing else on stdout, and it never writes the token to disk.
//! Settings come from the environment or the user's or system's git config, never a repository's
//! own (a cloned repository must not send the runtime key elsewhere): GITPAT_URL / gitpat.url,
//! GITPAT_RUNTIME_KEY / gitpat.runtimeKey, GITPAT_USER / gitpat.user. It answers only https
//! requests (http only for a runtime whose own API is http), and refuses any value with CR or LF
//! (which could smuggle lines into git's protocol).

use std::collections::HashMap;
use std::io::BufRead;

fn setting(env: &str, git_key: &str) -> Result<Option<String>, String> {
    let value = std::env::var(env)
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| {
            ["--global", "--system"].iter().find_map(|scope| {
                let out = std::process::Command::new("git")
                    .args(["config", scope, "--get", git_key])
                    .output()
                    .ok()?;
                let v = String::from_utf8(out.stdout).ok()?;
                let v = v.strip_suffix('\n').unwrap_or(&v).to_string();
                (!v.is_empty()).then_some(v)
            })
        });
    match value {
        Some(v) if has_line_break(&v) => Err(format!("{env} ({git_key}) holds a line break")),
        v => Ok(v),
    }
}

fn has_line_break(v: &str) -> bool {
    v.contains(['\r', '\n'])
}

/// Reads git's `key=value` lines up to a blank line or the end.
pub fn read_request(input: impl BufRead) -> HashMap<String, String> {
    input
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct Answer {
    /// `https`, or `http` for a runtime whose API is plain http.
    protocol: String,
    host: String,
    username: String,
    password: String,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Runs one helper operation; `Err` is the one-line reason for stderr.
pub async fn run(op: &str, input: impl BufRead) -> Result<String, String> {
    let request = read_request(input);
    if op != "get" {
        // git also sends `store` and `erase`; the tokens live in gitpat, so there is nothing to do.
        return Ok(String::new());
    }
    if request.values().any(|v| has_line_break(v)) {
        return Err("git's request holds a line break".into());
    }
    let protocol = request.get("protocol").map(String::as_str).unwrap_or("");
    if protocol != "https" && protocol != "http" {
        return Err(format!(
            "gitpat answers https (not '{protocol}') requests only"
        ));
    }
    let url = setting("GITPAT_URL", "gitpat.url")?
        .ok_or("set GITPAT_URL (or git config --global gitpat.url) to the gitpat server")?;
    let key = setting("GITPAT_RUNTIME_KEY", "gitpat.runtimeKey")?.ok_or(
        "set GITPAT_RUNTIME_KEY (or git config --global gitpat.runtimeKey) to the runtime's API key",
    )?;
    let user = setting("GITPAT_USER", "gitpat.user")?
        .ok_or("set GITPAT_USER (or git config --global gitpat.user) to the user's email")?;
    let endpoint = format!("{}/runtime-api/v1/credential", url.trim_end_matches('/'));
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let res = http
        .get(&endpoint)
        .bearer_auth(&key)
        .query(&[("user", &user)])
        .send()
        .await
        .map_err(|_| format!("cannot reach gitpat at {url}"))?;
    let status = res.status();
    if !status.is_success() {
        let reason = res
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        return Err(format!("no credential for {user}: {reason}"));
    }
    let answer: Answer = res
        .json()
        .await
        .map_err(|_| "gitpat sent an unexpected answer".to_string())?;
    // Plain http only where the runtime's own provider is plain http (a local server).
    if protocol != answer.protocol {
        return Err(format!(
            "this runtime's Git provider is served over {}, not {protocol}",
            answer.protocol
        ));
    }
    if has_line_break(&answer.username) || has_line_break(&answer.password) {
        return Err("gitpat sent a credential with a line break".into());
    }
    if let Some(host) = request.get("host") {
        if !host.eq_ignore_ascii_case(&answer.host) {
            return Err(format!(
                "this runtime's Git provider is {}, not {host}",
                answer.host
            ));
        }
    }
    let mut out = format!(
        "username={}\npassword={}\n",
        answer.username, answer.password
    );
    if let Some(e) = answer.expires_at {
        out.push_str(&format!("password_expiry_utc={}\n", e.timestamp()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_request_lines() {
        let r =
            read_request("protocol=https\nhost=github.com\npath=a/b.git\n\nignored=1\n".as_bytes());
        assert_eq!(r["host"], "github.com");
        assert_eq!(r.len(), 3);
    }
}
