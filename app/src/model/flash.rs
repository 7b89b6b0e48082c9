//! One-time messages after a change.

use serde::{Deserialize, Serialize};

/// A one-time message shown after a form post (the no-JavaScript path and redirects).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    pub error: bool,
    pub text: String,
    /// A refused form's error: the form it came back to shows it in place, not the page head.
    #[serde(default)]
    pub in_form: bool,
}

/// The notices a successful change leaves, written once for both paths: the server keeps them
/// for the next page of a plain form post, the browser shows them after a scripted call.
pub mod notice {
    pub fn token_added((runtime, status): &(String, crate::model::TokenStatus)) -> String {
        match status {
            crate::model::TokenStatus::NeedsSso => format!("Token added to {runtime}. GitHub asks you to authorize it for single sign-on: Authorize for SSO on its row."),
            _ => format!("Token added to {runtime}."),
        }
    }
    pub fn token_deleted(d: &crate::model::Deleted) -> String {
        use crate::model::AtProvider;
        let (rt, provider, page) = (&d.runtime, d.provider.label(), &d.revoke_page);
        match &d.at_provider {
            AtProvider::Revoked => format!("Token deleted from {rt} and revoked at {provider}."),
            AtProvider::StillUsed(others) => format!(
                "Token deleted from {rt}. It stays valid at {provider}: {} still use{} it.",
                others.join(", "),
                if others.len() == 1 { "s" } else { "" }
            ),
            AtProvider::NotRevoked(why) => format!(
                "Token deleted from {rt} only: {provider} did not revoke it ({why}). Revoke it at {page}"
            ),
            AtProvider::ByHand => format!(
                "Token deleted from {rt} only: it stays valid at {provider} until you revoke it at {page}"
            ),
        }
    }
    pub fn token_rotated(r: &crate::model::Rotated) -> String {
        let rts = r.runtimes.join(", ");
        match r.by {
            Some(p) => format!(
                "Token rotated at {}: {rts} use{} the new token, and the old one is revoked.",
                p.label(),
                if r.runtimes.len() == 1 { "s" } else { "" }
            ),
            None => format!("New token in place for {rts}."),
        }
    }
    pub fn notifications(hidden: bool) -> String {
        if hidden {
            "Notifications hidden.".into()
        } else {
            "Notifications shown.".into()
        }
    }
    pub fn token_checked((runtime, status): &(String, crate::model::TokenStatus)) -> String {
        format!("Token for {runtime} checked: {}.", status.label())
    }
    pub fn reminder_mail(on: bool) -> String {
        if on {
            "Reminder mail turned on.".into()
        } else {
            "Reminder mail turned off.".into()
        }
    }
    pub const POLICY_SAVED: &str = "Token policy saved.";
    pub const PASSWORD_CHANGED: &str = "Password changed. Your other sessions were signed out.";
    pub fn oauth_app_saved(family: &str) -> String {
        format!("OAuth app for {family} saved.")
    }
    pub fn oauth_app_removed(label: &str) -> String {
        format!("OAuth app for {label} removed.")
    }
    pub fn runtime_added(name: &str) -> String {
        format!("Runtime {name} added.")
    }
    /// The same whether or not the email has an account: the form tells no one who does.
    pub fn member_added(email: &str) -> String {
        format!("If {email} has a gitpat account, they are a member of the account now.")
    }
    pub fn member_removed(email: &str) -> String {
        format!("{email} removed from the account, with their tokens for its runtimes.")
    }
    pub fn runtime_repo_set(name: &str) -> String {
        format!("Repository of {name} saved. Its tokens are checked against it in the next re-validation.")
    }
    pub fn runtime_removed(name: &str) -> String {
        format!("Runtime {name} removed, with its tokens and API keys.")
    }
    pub const KEY_CREATED: &str = "API key created. Copy it now: it is shown only once.";
    pub fn key_revoked(prefix: &str) -> String {
        format!("API key {prefix} revoked.")
    }
}
