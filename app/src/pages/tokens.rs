//! The Git Personal Access Tokens page: one row per runtime the user can reach, its token
//! state, and the actions; the Add Token and Delete Token drawers open over it (child routes).

use crate::api::{reminder_mail_setting, SetNotificationsHidden, SetReminderMail};
use crate::components::drawer::row_button_id;
use crate::components::layout::{use_page_data, Notice, PageData};
use crate::components::menu::MenuButton;
use crate::components::sync_html::RenderOnce;
use crate::model::{
    notice, when, ActivityItem, Flash, TokenMethod, TokenRow, TokenStatus, UNUSED_FLAG_DAYS,
};
use leptos::either::Either;
use leptos::lazy;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_query_map};

pub const HIDE_NOTIFICATIONS: &str = "Hide notifications";

#[component]
pub fn TokensPage() -> impl IntoView {
    let data = use_page_data();
    let query = use_query_map();
    let account_filter = move || {
        query
            .read()
            .get("account")
            .and_then(|a| a.parse::<i64>().ok())
    };
    let switch = expect_context::<Switch>();
    let (alerts, table, activity) = (RenderOnce::new(), RenderOnce::new(), RenderOnce::new());
    // Only this page shows the reminder switch: its resource lives here, read in one place, and
    // read again after each change made here.
    let mail_changes = RwSignal::new(0usize);
    let mail = Resource::new(move || mail_changes.get(), |_| reminder_mail_setting());

    view! {
        <Title text="Git Personal Access Tokens"/>
        <main class="page">
            <div class="page-head">
                <h1>"Git Personal Access Tokens"</h1>
                <p class="muted">
                    "Authorize Git access for each GitOps Runtime you work with. You can use the same Git user token for several Runtimes, but each Runtime is authorized individually."
                </p>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading runtimes…"</p> }>
                {move || match data.tokens.read().as_ref() {
                    None => None,
                    Some(Ok(rows)) => {
                        let table = table.view(|| view! { <RuntimeTable rows=rows.clone() account=account_filter() switch/> });
                        Some(Either::Left(view! {
                            // In this boundary, not one of its own: a boundary is much code in
                            // the first load's WASM.
                            {move || mail.read().as_ref().and_then(|m| m.as_ref().ok().copied()).filter(|m| m.available).map(|m| {
                                view! { <ReminderSwitch on=m.on changes=mail_changes/> }
                            })}
                            // The banner follows the switches flipped here; the table renders
                            // again only when the rows come back from the server.
                            {move || alerts.view(|| banner(&data.rows().and_then(Result::ok).unwrap_or_default()))}
                            {table}
                        }))
                    }
                    Some(Err(e)) => Some(Either::Right(view! { <p class="alert error" role="alert">{e.to_string()}</p> })),
                }}
            </Transition>
            <Transition fallback=|| ()>
                {move || {
                    data.activity.read().as_ref().map(|r| {
                        activity.view(|| view! { <RecentActivity items=r.clone().unwrap_or_default()/> })
                    })
                }}
            </Transition>
        </main>
        <Outlet/>
    }
}

/// Expiry reminders by e-mail, on or off for the user. A plain form on the server function:
/// without JavaScript it posts and comes back with a notice; with it, the call is made in place,
/// its code fetched on the first use (see [`call_set_reminder_mail`]).
#[component]
fn ReminderSwitch(on: bool, changes: RwSignal<usize>) -> impl IntoView {
    let data = use_page_data();
    let pending = RwSignal::new(false);
    view! {
        <form class="reminder-mail" method="post" action=SetReminderMail::url() on:submit=move |ev| {
            ev.prevent_default();
            pending.set(true);
            leptos::task::spawn_local(async move {
                let result = call_set_reminder_mail(!on).await;
                pending.set(false);
                if result.is_ok() {
                    changes.update(|v| *v += 1);
                    data.events.update(|v| *v += 1);
                }
                let (error, text) = match result {
                    Ok(on) => (false, notice::reminder_mail(on)),
                    Err(e) => (true, e.to_string()),
                };
                data.notice.set(Some(Notice {
                    flash: Flash { error, text, in_form: false },
                    path: crate::components::drawer::LIST.into(),
                }));
            });
        }>
            <input type="hidden" name="enabled" value=(!on).to_string()/>
            <button type="submit" role="switch" aria-checked=on.to_string() class="switch-item" disabled=move || pending.get()>
                <span>"Email reminders"</span>
                <span class="switch" aria-hidden="true"></span>
            </button>
            <span class="hint">"Mail me before a token expires and when one stops working (at most once a day)."</span>
        </form>
    }
}

/// The reminder switch's server call. Lazy: its code (the call and its answer's decoding) is a
/// WASM chunk of its own, fetched on the first flip instead of with the page.
#[lazy]
async fn call_set_reminder_mail(enabled: bool) -> Result<bool, crate::error::AppError> {
    crate::api::set_reminder_mail(enabled).await
}

/// A row's Hide notifications call, lazy like [`call_set_reminder_mail`].
#[lazy]
async fn call_set_notifications_hidden(
    runtime_id: i64,
    hidden: bool,
) -> Result<bool, crate::error::AppError> {
    crate::api::set_notifications_hidden(runtime_id, hidden).await
}

/// The Hide notifications switches of the rows: flipped at once in the browser (the bell and
/// the banner follow), confirmed by the server, rolled back with a visible error if refused.
#[derive(Clone, Copy)]
pub struct Switch {
    data: PageData,
    /// Where a flip's notice is shown: the page it was made on.
    pathname: Memo<String>,
}

impl Switch {
    pub fn new(data: PageData) -> Self {
        Switch {
            data,
            pathname: use_location().pathname,
        }
    }

    /// Whether the row's notifications are hidden, as shown now.
    fn hidden(self, id: i64, stored: bool) -> impl Fn() -> bool + Copy + Send + Sync {
        move || {
            self.data
                .hidden
                .with(|m| m.get(&id).copied())
                .unwrap_or(stored)
        }
    }

    fn flip(self, id: i64, hidden: bool) {
        let data = self.data;
        data.hidden.update(|m| {
            m.insert(id, hidden);
        });
        let path = self.pathname.get_untracked();
        leptos::task::spawn_local(async move {
            let flash = match call_set_notifications_hidden(id, hidden).await {
                Ok(hidden) => {
                    data.events.update(|v| *v += 1);
                    Flash {
                        error: false,
                        text: notice::notifications(hidden),
                        in_form: false,
                    }
                }
                Err(e) => {
                    // Back to how it was, unless the switch was flipped again since.
                    data.hidden.update(|m| {
                        if m.get(&id) == Some(&hidden) {
                            m.insert(id, !hidden);
                        }
                    });
                    Flash {
                        error: true,
                        text: e.to_string(),
                        in_form: false,
                    }
                }
            };
            data.notice.set(Some(Notice { flash, path }));
        });
    }
}

/// Alerts about tokens that need attention: invalid or expired (unless hidden), and expiring soon.
/// Borrows the rows, which the table then takes.
fn banner(rows: &[TokenRow]) -> impl IntoView {
    let names = |sso: bool| -> Vec<String> {
        rows.iter()
            .filter(|r| r.notifies() && (r.status == TokenStatus::NeedsSso) == sso)
            .map(|r| r.runtime.name.clone())
            .collect()
    };
    let (alerting, sso) = (names(false), names(true));
    let expiring = rows
        .iter()
        .filter(|r| r.status == TokenStatus::Expiring)
        .count();
    view! {
        {(!alerting.is_empty()).then(|| view! {
            <div class="alert error banner" role="region" aria-label="Token alerts">
                {format!(
                    "{} GitOps Runtime{} {} an invalid or expired Git token: {}. Add a new token to restore access.",
                    alerting.len(),
                    if alerting.len() == 1 { "" } else { "s" },
                    if alerting.len() == 1 { "has" } else { "have" },
                    alerting.join(", ")
                )}
            </div>
        })}
        {(!sso.is_empty()).then(|| view! {
            <div class="alert error banner" role="region" aria-label="Single sign-on">
                {format!(
                    "GitHub refuses the token of {} for {} repository until you authorize it for your organization's SAML single sign-on: {}.",
                    if sso.len() == 1 { "one GitOps Runtime" } else { "several GitOps Runtimes" },
                    if sso.len() == 1 { "its" } else { "their" },
                    sso.join(", ")
                )}
            </div>
        })}
        {(expiring > 0).then(|| view! {
            <div class="alert warning banner" role="region" aria-label="Expiring tokens">
                {format!("{expiring} token{} expire{} within 7 days.", if expiring == 1 { "" } else { "s" }, if expiring == 1 { "s" } else { "" })}
            </div>
        })}
    }
}

/// The accounts present in the rows, in order, without repeats.
fn accounts_of(rows: &[TokenRow]) -> Vec<(i64, String)> {
    let mut seen = Vec::<(i64, String)>::new();
    for r in rows {
        if !seen.iter().any(|(id, _)| *id == r.runtime.account_id) {
            seen.push((r.runtime.account_id, r.runtime.account_name.clone()));
        }
    }
    seen
}

#[component]
fn RuntimeTable(rows: Vec<TokenRow>, account: Option<i64>, switch: Switch) -> impl IntoView {
    // Rendered again after a drawer closed: focus goes back to the row's button it came from.
    let data = switch.data;
    Effect::new(move |_| {
        if let Some(id) = data.return_focus.get_untracked() {
            crate::components::drawer::focus_by_id(&id);
            data.return_focus.set(None);
        }
    });
    if rows.is_empty() {
        return Either::Left(view! {
            <div class="empty card">
                <h2>"No GitOps Runtimes yet"</h2>
                <p>"You are not a member of an account with a GitOps Runtime. Ask your account admin to provision a Runtime or to add you to its account; it will then be listed here."</p>
            </div>
        });
    }
    let accounts = accounts_of(&rows);
    let shown: Vec<TokenRow> = rows
        .into_iter()
        .filter(|r| account.is_none_or(|a| a == r.runtime.account_id))
        .collect();
    let filter = (accounts.len() > 1).then(|| {
        view! {
            <nav class="filters" aria-label="Filter by account">
                <a href="/git-personal-access-tokens" aria-current=account.is_none().then_some("page")>"All accounts"</a>
                {accounts
                    .into_iter()
                    .map(|(id, name)| {
                        view! {
                            <a href=format!("/git-personal-access-tokens?account={id}") aria-current=(account == Some(id)).then_some("page")>
                                {name}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        }
    });
    Either::Right(view! {
        {filter}
        <div class="table-wrap card">
            <table class="runtimes">
                <caption class="sr-only">"GitOps Runtimes and their Git user tokens"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Runtime"</th>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Git provider"</th>
                        <th scope="col">"Token status"</th>
                        <th scope="col">"Token"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last validated / used"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {shown.into_iter().map(|row| view! { <RuntimeRowView row switch/> }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}

#[component]
fn RuntimeRowView(row: TokenRow, switch: Switch) -> impl IntoView {
    let TokenRow {
        runtime,
        status,
        token,
        notifications_hidden,
        ..
    } = row;
    let id = runtime.id;
    let hidden = switch.hidden(id, notifications_hidden);
    let name = runtime.name;
    let has_token = token.is_some();
    let pat = token.as_ref().is_some_and(|t| t.method == TokenMethod::Pat);
    // The token's cells, moved out of it rather than cloned (fifty rows a page view).
    let repo = runtime.repo;
    // GitHub's single sign-on link, while the row waits for it.
    let sso = token
        .as_ref()
        .and_then(|t| t.sso_url.clone())
        .filter(|_| status == TokenStatus::NeedsSso);
    let (cell, error, expires, validated, used) = match token {
        Some(t) => {
            let expires = t
                .expires_at
                .map(when::date)
                .unwrap_or_else(|| "Never".into());
            let validated = view! {
                <time datetime=when::machine(t.last_validated_at) title=when::minute(t.last_validated_at)>
                    {when::date(t.last_validated_at)}
                </time>
            };
            let cell = view! {
                {t.provider_login.map(|l| view! { <span class="provider-login">{l}</span> })}
                <span class="mono" aria-label=format!("token ending in {}", t.last4)>{format!("••••{}", t.last4)}</span>
                {(t.method == TokenMethod::Oauth).then(|| view! { <span class="tag">"OAuth"</span> })}
                {(!t.shared_with.is_empty()).then(|| view! {
                    <p class="hint">{format!("Same token as {}", t.shared_with.join(", "))}</p>
                })}
            };
            // When the runtime last read it, under when it was last validated: one more short
            // line, where a column of its own would crowd the table.
            let used = view! {
                <p class="hint last-used" title="When the runtime last read the token">
                    {match t.last_used_at {
                        Some(at) => Either::Left(view! {
                            <span>"Used "</span>
                            <time datetime=when::machine(at) title=when::minute(at)>{when::date(at)}</time>
                        }),
                        None => Either::Right(view! { <span>"Not used yet"</span> }),
                    }}
                </p>
                {t.unused.then(|| view! {
                    <span class="tag warning" title="No runtime has read this token for 90 days or more: delete it if nothing needs it">
                        {format!("Unused for {UNUSED_FLAG_DAYS} days")}
                    </span>
                })}
            };
            (
                Some(cell),
                t.last_error,
                Some(expires),
                Some(validated),
                Some(used),
            )
        }
        None => (None, None, None, None, None),
    };
    view! {
        <tr data-status=status.as_str()>
            <th scope="row" class="runtime-name">
                {name.clone()}
            </th>
            <td data-label="Account">{runtime.account_name}</td>
            <td class="provider" data-label="Git provider">
                <img src=runtime.provider.logo() alt="" width="18" height="18"/>
                <span>{runtime.provider.label()}</span>
                {repo.map(|r| view! {
                    // A line may break after each slash, not inside a name.
                    <p class="hint repo" title="The runtime's repository: its token must be able to write to it">
                        {r.split_inclusive('/').map(|part| view! { <span>{part.to_string()}</span><wbr/> }).collect_view()}
                    </p>
                })}
            </td>
            <td data-label="Token status">
                <span class=format!("status status-{}", status.as_str())>{status.label()}</span>
                {move || hidden().then(|| view! {
                    <span class="hidden-icon" role="img" aria-label="Notifications hidden" title="Notifications hidden">
                        <svg aria-hidden="true" viewBox="0 0 24 24" width="14" height="14"><path fill="currentColor" d="M3.3 2.3 2 3.6l3.2 3.2A7 7 0 0 0 5 11v5l-2 2v1h13.2l3.2 3.2 1.3-1.3L3.3 2.3ZM12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66c-.6.14-1.17.37-1.7.67L19 16Z"/></svg>
                    </span>
                })}
                {error.map(|e| view! { <p class="hint row-error">{e}</p> })}
                {sso.map(|url| view! {
                    <p class="hint sso">
                        <a href=url target="_blank" rel="noopener noreferrer" aria-label=format!("Authorize for SSO at {}: {name}", runtime.provider.label())>"Authorize for SSO"</a>
                        <span>" · "</span>
                        <a id=row_button_id("sso", id) href=format!("/git-personal-access-tokens/{id}/sso") aria-label=format!("Check again: {name}")>"Check again"</a>
                    </p>
                })}
            </td>
            <td class="token-cell" data-label="Token">{cell}</td>
            <td data-label="Expires">{expires}</td>
            <td data-label="Last validated / used">{validated}{used}</td>
            <td class="actions">
                <a class="button primary small" id=row_button_id("add", id) href=format!("/git-personal-access-tokens/{id}/add") aria-label=format!("Add Token for {name}")>
                    "Add Token"
                </a>
                {has_token.then(|| view! {
                    <a class="button danger small" id=row_button_id("delete", id) href=format!("/git-personal-access-tokens/{id}/delete") aria-label=format!("Delete Token for {name}")>
                        "Delete Token"
                    </a>
                })}
                <MenuButton label=format!("More actions for {name}") menu_id=format!("row-menu-{id}") button_class="kebab" face="⋮">
                    {pat.then(|| view! {
                        <li role="none">
                            <a role="menuitem" href=format!("/git-personal-access-tokens/{id}/rotate")>"Rotate token"</a>
                        </li>
                    })}
                    <li role="none">
                        // Without JavaScript the switch posts to the server function and is
                        // redirected back with a notice; with it, it flips in place.
                        <form method="post" action=SetNotificationsHidden::url() on:submit=move |ev| {
                            ev.prevent_default();
                            switch.flip(id, !hidden());
                        }>
                            <input type="hidden" name="runtime_id" value=id/>
                            <input type="hidden" name="hidden" value=move || (!hidden()).to_string()/>
                            <button type="submit" role="menuitemcheckbox" aria-checked=move || hidden().to_string() class="switch-item">
                                <span>{HIDE_NOTIFICATIONS}</span>
                                <span class="switch" aria-hidden="true"></span>
                            </button>
                        </form>
                    </li>
                </MenuButton>
            </td>
        </tr>
    }
}

/// The user's latest token and sign-in events (from the audit trail).
#[component]
fn RecentActivity(items: Vec<ActivityItem>) -> impl IntoView {
    view! {
        <section class="activity" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent activity"</h2>
            {if items.is_empty() {
                Either::Left(view! { <p class="muted">"Nothing yet."</p> })
            } else {
                Either::Right(view! {
                    <ul class="plain-list">
                        {items.into_iter().map(|i| view! {
                            // One text node per element: adjacent text nodes do not hydrate.
                            <li>
                                <time datetime=when::machine(i.at)>{when::minute(i.at)}</time>
                                <span>{format!(" · {}{}", i.action.label(), i.runtime.map(|r| format!(" · {r}")).unwrap_or_default())}</span>
                                {i.client_addr.map(|a| view! { <span class="muted">{format!(" · from {a}")}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}
