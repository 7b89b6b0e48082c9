//! What the `gitpat admin …` commands do (their arguments are in `cli`): write users, accounts,
//! memberships, runtimes, OAuth apps and runtime API keys directly, as an operator.

use crate::cli::{
    AccountCommand, AdminCommand, KeyCommand, MemberCommand, OauthAppCommand, PolicyCommand,
    RuntimeCommand, UserCommand,
};
use anyhow::{bail, Context};
use app::model::AuditAction;
use app::ssr::account_admin::{self, RuntimeInput};
use app::ssr::crypto::Secret;
use app::ssr::oauth::{self, OAuthAppInput};
use app::ssr::store::{self, Actor};
use app::ssr::{auth, credentials, AppState};
use std::io::BufRead;

/// Runs one admin command and returns what to print; an error's text (with its context) is the
/// one line the operator sees.
pub async fn run(st: &AppState, cmd: AdminCommand, stdin: impl BufRead) -> anyhow::Result<String> {
    let pool = &st.pool;
    match cmd {
        AdminCommand::User(UserCommand::Add { email, name, admin }) => {
            let password = read_secret(stdin, "password")?;
            auth::check_new_password(&password).map_err(anyhow::Error::msg)?;
            let name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let hash = auth::hash_password(password).await?;
            let id = store::create_user(pool, &email, &name, &hash, admin).await?;
            Ok(format!("user {email} added (id {id})"))
        }
        AdminCommand::User(UserCommand::Password { email }) => {
            let password = read_secret(stdin, "password")?;
            auth::check_new_password(&password).map_err(anyhow::Error::msg)?;
            let user = store::user_by_email(pool, &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            let hash = auth::hash_password(password).await?;
            let mut tx = pool.begin().await?;
            store::set_password(&mut tx, user.id, &hash).await?;
            store::audit(
                &mut tx,
                Some(user.id),
                None,
                AuditAction::PasswordChange,
                "by an operator",
                None,
            )
            .await?;
            tx.commit().await?;
            Ok(format!(
                "password of {email} set; their sessions have ended"
            ))
        }
        AdminCommand::User(UserCommand::Disable { email }) => {
            let user = store::user_by_email(pool, &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            account_admin::set_user_disabled(pool, user.id, true, Actor::OPERATOR).await?;
            Ok(format!(
                "{email} disabled: their sessions have ended, sign-in and credentials are refused"
            ))
        }
        AdminCommand::User(UserCommand::Enable { email }) => {
            let user = store::user_by_email(pool, &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            account_admin::set_user_disabled(pool, user.id, false, Actor::OPERATOR).await?;
            Ok(format!("{email} enabled again"))
        }
        AdminCommand::Member(MemberCommand::Remove { account, email }) => {
            let account_id = store::account_id_by_name(pool, &account).await?;
            let user = store::user_by_email(pool, &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            if !account_admin::remove_member(pool, account_id, user.id, Actor::OPERATOR).await? {
                bail!("{email} is not a member of {account}");
            }
            Ok(format!(
                "{email} removed from {account}, with their tokens for its runtimes"
            ))
        }
        AdminCommand::Runtime(RuntimeCommand::Remove { account, name }) => {
            let account_id = store::account_id_by_name(pool, &account).await?;
            let runtime_id = store::runtime_id_by_name(pool, account_id, &name).await?;
            account_admin::remove_runtime(pool, runtime_id, Actor::OPERATOR).await?;
            Ok(format!(
                "runtime {name} removed from {account}, with its tokens and API keys"
            ))
        }
        AdminCommand::Runtime(RuntimeCommand::Repo {
            account,
            name,
            repo,
        }) => {
            let account_id = store::account_id_by_name(pool, &account).await?;
            let runtime_id = store::runtime_id_by_name(pool, account_id, &name).await?;
            account_admin::set_runtime_repo(
                st,
                account_id,
                runtime_id,
                repo.as_deref(),
                Actor::OPERATOR,
            )
            .await
            .with_context(|| format!("the repository of {name} was not changed"))?;
            Ok(
                match repo.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                    Some(r) => {
                        format!("runtime {name} works on {r}; its tokens are re-checked next")
                    }
                    None => format!("runtime {name} names no repository"),
                },
            )
        }
        AdminCommand::Policy(PolicyCommand::Set {
            account,
            max_token_days,
            oauth_only,
        }) => {
            let account_id = store::account_id_by_name(pool, &account).await?;
            // The Admin area's rule, word for word.
            let policy = app::model::TokenPolicy::parse(
                max_token_days.as_deref().unwrap_or_default(),
                oauth_only,
            )
            .map_err(anyhow::Error::msg)?;
            account_admin::set_policy(pool, account_id, policy, Actor::OPERATOR).await?;
            let days = policy
                .max_token_days
                .map_or("no limit on token lifetime".to_string(), |d| {
                    format!("pasted tokens expire within {d} days")
                });
            let oauth = if policy.oauth_only {
                "OAuth only where an OAuth app is set up"
            } else {
                "pasted tokens allowed"
            };
            Ok(format!("token policy of {account}: {days}; {oauth}"))
        }
        AdminCommand::Account(AccountCommand::Add { name }) => {
            let id = store::create_account(pool, &name).await?;
            Ok(format!("account {name} added (id {id})"))
        }
        AdminCommand::Member(MemberCommand::Add {
            account,
            email,
            role,
        }) => {
            let account_id = store::account_id_by_name(pool, &account).await?;
            let user = store::user_by_email(pool, &email)
                .await?
                .with_context(|| format!("no user with email {email}"))?;
            account_admin::set_member(pool, account_id, user.id, role, Actor::OPERATOR).await?;
            Ok(format!("{email} is now {} of {account}", role.as_str()))
        }
        AdminCommand::Runtime(RuntimeCommand::Add {
            account,
            name,
            provider,
            api_url,
            repo,
        }) => {
            let account_id = store::account_id_by_name(pool, &account).await?;
            let input = RuntimeInput {
                name: &name,
                provider,
                api_url: api_url.as_ref().map(url::Url::as_str),
                repo: repo.as_deref(),
            };
            let added = account_admin::add_runtime(st, account_id, input, Actor::OPERATOR)
                .await
                .with_context(|| format!("runtime {name} was not added"))?;
            Ok(format!(
                "runtime {} ({provider}, {}{}) added to {account} (id {})",
                added.name,
                added.api_url,
                added
                    .repo
                    .map(|r| format!(", repository {r}"))
                    .unwrap_or_default(),
                added.id
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
            let client_secret = Secret::new(read_secret(stdin, "client secret")?);
            let account_id = store::account_id_by_name(pool, &account).await?;
            let settings = OAuthAppInput {
                provider,
                client_id,
                client_secret,
                authorize_url: authorize_url.into(),
                token_url: token_url.into(),
                scopes,
                expiry_days,
            }
            .parse()
            .map_err(anyhow::Error::msg)?;
            oauth::set_app(st, account_id, &settings, Actor::OPERATOR)
                .await
                .map_err(anyhow::Error::msg)?;
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
            crate::seed::seed(st, &plan).await
        }
        AdminCommand::Verify => crate::seed::verify(st).await,
        AdminCommand::Copy { .. } => bail!("`admin copy` opens its own databases"),
        AdminCommand::Rekey => {
            let report = app::ssr::rekey::rekey(st, |line| eprintln!("{line}")).await?;
            Ok(format!(
                "re-sealed under key {}: {} tokens, {} refresh tokens, {} client secrets; \
                 earlier keys can now be removed from GITPAT_PREVIOUS_KEYS",
                st.keys.current_id(),
                report.tokens,
                report.refresh_tokens,
                report.client_secrets
            ))
        }
        AdminCommand::Runtime(RuntimeCommand::Key(cmd)) => {
            let (account, runtime) = match &cmd {
                KeyCommand::Create { account, runtime }
                | KeyCommand::List { account, runtime }
                | KeyCommand::Revoke {
                    account, runtime, ..
                } => (account.clone(), runtime.clone()),
            };
            let account_id = store::account_id_by_name(pool, &account).await?;
            let runtime_id = store::runtime_id_by_name(pool, account_id, &runtime).await?;
            match cmd {
                KeyCommand::Create { .. } => {
                    let key = credentials::create_key(pool, runtime_id, Actor::OPERATOR).await?;
                    Ok(format!(
                        "{}\n(shown once: store it in the runtime now)",
                        key.expose()
                    ))
                }
                KeyCommand::List { .. } => Ok(credentials::list_keys(pool, runtime_id)
                    .await?
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
                    if !credentials::revoke_key(pool, runtime_id, &prefix, Actor::OPERATOR).await? {
                        bail!("no active key {prefix} for {runtime}");
                    }
                    Ok(format!("key {prefix} revoked"))
                }
            }
        }
    }
}

/// Reads one line of standard input as a secret; an empty one is refused.
fn read_secret(mut stdin: impl BufRead, what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    let value = line.trim_end_matches(['\n', '\r']).to_string();
    if value.is_empty() {
        bail!("the {what} (read from standard input) must not be empty");
    }
    if value.len() > auth::MAX_PASSWORD_LEN {
        bail!("the {what} is longer than {} bytes", auth::MAX_PASSWORD_LEN);
    }
    Ok(value)
}

/// `gitpat admin copy`: every row from `from` into the empty `to`, then `admin verify` on the
/// target with the configured master key(s), so a copy that could not be read fails here.
pub async fn copy(config: &crate::config::Config, from: &str, to: &str) -> anyhow::Result<String> {
    use app::ssr::db::{self, shown_url};
    let source = db::open(from, 2)
        .await
        .with_context(|| format!("opening the source {}", shown_url(from)))?;
    let target = db::open(to, 2)
        .await
        .with_context(|| format!("opening the target {}", shown_url(to)))?;
    let counts = store::copy::copy_all(&source, &target, |table, n| {
        eprintln!("copied {table}: {n} rows");
    })
    .await?;
    source.close().await;
    target.close().await;
    let mut on_target = config.clone();
    on_target.database_url = to.to_string();
    let state = crate::build_state(&on_target)
        .await
        .context("the copy is written, but the target does not open with the configured key")?;
    let verified = crate::seed::verify(&state)
        .await
        .context("the copy is written, but `admin verify` on the target failed")?;
    let rows: u64 = counts.iter().map(|(_, n)| n).sum();
    Ok(format!(
        "copied {rows} rows from {} to {}\n{verified}",
        shown_url(from),
        shown_url(to)
    ))
}
