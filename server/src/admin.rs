//! The `gitpat admin …` commands: write users, accounts, memberships and runtimes directly.

use crate::cli::{
    AccountCommand, AdminCommand, KeyCommand, MemberCommand, OauthAppCommand, RuntimeCommand,
    UserCommand,
};
use app::ssr::crypto::{Keyring, Secret};
use app::ssr::{auth, oauth, store};
use sqlx::SqlitePool;
use std::io::BufRead;

/// Runs one admin command; the error text is the one line the operator sees.
pub async fn run(
    pool: &SqlitePool,
    keys: &Keyring,
    cmd: AdminCommand,
    stdin: impl BufRead,
) -> Result<String, String> {
    match cmd {
        AdminCommand::User(UserCommand::Add { email, name, admin }) => {
            let password = read_secret(stdin, "password")?;
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let hash = auth::hash_password(password)
                .await
                .map_err(|e| e.to_string())?;
            let id = store::create_user(pool, &email, &name, &hash, admin)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("user {email} added (id {id})"))
        }
        AdminCommand::User(UserCommand::Password { email }) => {
            let password = read_secret(stdin, "password")?;
            if password.chars().count() < auth::MIN_PASSWORD_LEN {
                return Err(format!(
                    "the password must have at least {} characters",
                    auth::MIN_PASSWORD_LEN
                ));
            }
            let user = store::user_by_email(pool, &email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user with email {email}"))?;
            let hash = auth::hash_password(password)
                .await
                .map_err(|e| e.to_string())?;
            store::set_password(pool, user.id, &hash)
                .await
                .map_err(|e| e.to_string())?;
            store::audit(
                pool,
                Some(user.id),
                None,
                "password.change",
                "by an operator",
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
            Ok(format!(
                "password of {email} set; their sessions have ended"
            ))
        }
        AdminCommand::Account(AccountCommand::Add { name }) => {
            let id = store::create_account(pool, &name)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("account {name} added (id {id})"))
        }
        AdminCommand::Member(MemberCommand::Add {
            account,
            email,
            role,
        }) => {
            let account_id = store::account_id_by_name(pool, &account)
                .await
                .map_err(|e| e.to_string())?;
            let user = store::user_by_email(pool, &email)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user with email {email}"))?;
            store::set_membership(pool, user.id, account_id, role)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("{email} is now {} of {account}", role.as_str()))
        }
        AdminCommand::Runtime(RuntimeCommand::Add {
            account,
            name,
            provider,
            api_url,
        }) => {
            let api_url = match api_url {
                Some(u) => u.as_str().trim_end_matches('/').to_string(),
                None => provider
                    .default_api_url()
                    .ok_or_else(|| {
                        format!("--api-url is required for {provider} (a self-hosted provider)")
                    })?
                    .to_string(),
            };
            let account_id = store::account_id_by_name(pool, &account)
                .await
                .map_err(|e| e.to_string())?;
            let id = store::create_runtime(pool, account_id, &name, provider, &api_url)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "runtime {name} ({provider}, {api_url}) added to {account} (id {id})"
            ))
        }
        AdminCommand::OauthApp(OauthAppCommand::Set {
            account,
            provider,
            client_id,
            authorize_url,
            token_url,
            scopes,
            expiry_days,
        }) => {
            let secret = Secret::new(read_secret(stdin, "client secret")?);
            let account_id = store::account_id_by_name(pool, &account)
                .await
                .map_err(|e| e.to_string())?;
            oauth::set_app(
                pool,
                keys,
                account_id,
                provider,
                &client_id,
                &secret,
                authorize_url.as_str(),
                token_url.as_str(),
                &scopes,
                expiry_days,
            )
            .await?;
            Ok(format!("OAuth app for {provider} set on {account}"))
        }
        AdminCommand::Seed {
            users,
            accounts,
            runtimes,
            tokens,
            emulator,
            delay_ms,
        } => {
            let plan = crate::seed::Plan {
                users,
                accounts,
                runtimes,
                tokens,
                emulator: emulator.as_str().to_string(),
                delay_ms,
                password: read_secret(stdin, "password")?,
            };
            crate::seed::seed(pool, keys, &plan)
                .await
                .map_err(|e| format!("{e:#}"))
        }
        AdminCommand::Verify => crate::seed::verify(pool, keys).await,
        AdminCommand::Runtime(RuntimeCommand::Key(cmd)) => {
            use app::ssr::runtime_api;
            let (account, runtime) = match &cmd {
                KeyCommand::Create { account, runtime }
                | KeyCommand::List { account, runtime }
                | KeyCommand::Revoke {
                    account, runtime, ..
                } => (account.clone(), runtime.clone()),
            };
            let account_id = store::account_id_by_name(pool, &account)
                .await
                .map_err(|e| e.to_string())?;
            let runtime_id = store::runtime_id_by_name(pool, account_id, &runtime)
                .await
                .map_err(|e| e.to_string())?;
            let db = |e: sqlx::Error| e.to_string();
            match cmd {
                KeyCommand::Create { .. } => {
                    let key = runtime_api::create_key(pool, runtime_id)
                        .await
                        .map_err(db)?;
                    Ok(format!(
                        "{}\n(shown once: store it in the runtime now)",
                        key.expose()
                    ))
                }
                KeyCommand::List { .. } => Ok(runtime_api::list_keys(pool, runtime_id)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|k| {
                        let state = k
                            .revoked_at
                            .map(|r| format!("revoked {}", r.to_rfc3339()))
                            .unwrap_or_else(|| "active".into());
                        format!(
                            "{}  created {}  {state}",
                            k.prefix,
                            k.created_at.to_rfc3339()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")),
                KeyCommand::Revoke { prefix, .. } => {
                    if runtime_api::revoke_key(pool, runtime_id, &prefix)
                        .await
                        .map_err(db)?
                    {
                        Ok(format!("key {prefix} revoked"))
                    } else {
                        Err(format!("no active key {prefix} for {runtime}"))
                    }
                }
            }
        }
    }
}

/// Reads one line of standard input as a secret; an empty one is refused.
fn read_secret(mut stdin: impl BufRead, what: &str) -> Result<String, String> {
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the {what} from standard input: {e}"))?;
    let value = line.trim_end_matches(['\n', '\r']).to_string();
    if value.is_empty() {
        return Err(format!(
            "the {what} (read from standard input) must not be empty"
        ));
    }
    if value.len() > auth::MAX_PASSWORD_LEN {
        return Err(format!(
            "the {what} is longer than {} bytes",
            auth::MAX_PASSWORD_LEN
        ));
    }
    Ok(value)
}
