//! The Admin area: account admins manage OAuth apps, the token policy, runtimes and members of
//! their accounts.

use crate::api::{
    admin_overview, AddMember, AddRuntime, CreateRuntimeKey, RemoveMember, RemoveOauthApp,
    RemoveRuntime, RevokeRuntimeKey, SaveOauthApp, SetPolicy, SetRuntimeRepo,
};
use crate::components::layout::use_page_data;
use crate::components::{form_error, on_success};
use crate::model::{notice, repo_form, AdminAccount, ProviderKind};
use leptos::prelude::*;
use leptos_meta::Title;

const ADMIN: &str = "/admin";

crate::components::lazy_page! {
    /// The Admin area as a lazy route: the token page's first load does not carry its code.
    AdminRoute => AdminPage
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let save = ServerAction::<SaveOauthApp>::new();
    let remove = ServerAction::<RemoveOauthApp>::new();
    let add_runtime = ServerAction::<AddRuntime>::new();
    let add_member = ServerAction::<AddMember>::new();
    let policy = ServerAction::<SetPolicy>::new();
    let keys = Keys {
        revoke: ServerAction::<RevokeRuntimeKey>::new(),
        create: ServerAction::<CreateRuntimeKey>::new(),
    };
    let row_actions = RowActions {
        member: ServerAction::<RemoveMember>::new(),
        runtime: ServerAction::<RemoveRuntime>::new(),
        repo: ServerAction::<SetRuntimeRepo>::new(),
    };
    let data = use_page_data();
    // Read again after every change made here (and elsewhere in this browser).
    let overview = Resource::new(move || data.changed.get(), |_| admin_overview());
    on_success(save, move |f| data.done(notice::oauth_app_saved(f), ADMIN));
    on_success(remove, move |l| {
        data.done(notice::oauth_app_removed(l), ADMIN)
    });
    on_success(add_runtime, move |n| {
        data.done(notice::runtime_added(n), ADMIN)
    });
    on_success(policy, move |_| {
        data.done(notice::POLICY_SAVED.into(), ADMIN)
    });
    on_success(add_member, move |e| {
        data.done(notice::member_added(e), ADMIN)
    });
    on_success(row_actions.member, move |e| {
        data.done(notice::member_removed(e), ADMIN)
    });
    on_success(row_actions.repo, move |n| {
        data.done(notice::runtime_repo_set(n), ADMIN)
    });
    on_success(row_actions.runtime, move |n| {
        data.done(notice::runtime_removed(n), ADMIN)
    });
    on_success(keys.revoke, move |p| {
        data.done(notice::key_revoked(p), ADMIN)
    });
    // The list reads again to show the new key's prefix; the key itself is shown above it, from
    // this page's action, so no later reload takes it away before it is copied.
    on_success(keys.create, move |_| data.changed.update(|v| *v += 1));
    // The failure of the form sent last, shown above the forms.
    let errors = [
        Signal::derive(form_error(save)),
        Signal::derive(form_error(remove)),
        Signal::derive(form_error(add_runtime)),
        Signal::derive(form_error(add_member)),
        Signal::derive(form_error(policy)),
        Signal::derive(form_error(keys.revoke)),
        Signal::derive(form_error(row_actions.member)),
        Signal::derive(form_error(row_actions.runtime)),
        Signal::derive(form_error(row_actions.repo)),
    ];
    let error = move || errors.iter().find_map(|e| e.get());
    view! {
        <Title text="Admin"/>
        <main class="page">
            <div class="page-head">
                <h1>"Admin"</h1>
                <p class="muted">"OAuth apps, GitOps Runtimes and members of the accounts you administer."</p>
            </div>
            <NewKey create=keys.create/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
                {move || overview.get().map(|r| match r {
                    Ok(accounts) => accounts
                        .into_iter()
                        .map(|a| view! { <AccountAdmin account=a save remove add_runtime add_member policy keys row_actions/> })
                        .collect_view()
                        .into_any(),
                    Err(e) => view! { <p class="alert error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </main>
    }
}

/// Removing a member or a runtime, and naming a runtime's repository, shared by every row.
#[derive(Clone, Copy)]
struct RowActions {
    member: ServerAction<RemoveMember>,
    runtime: ServerAction<RemoveRuntime>,
    repo: ServerAction<SetRuntimeRepo>,
}

/// The key actions, shared by every runtime's row.
#[derive(Clone, Copy)]
struct Keys {
    revoke: ServerAction<RevokeRuntimeKey>,
    create: ServerAction<CreateRuntimeKey>,
}

/// A runtime's Create API key button. The key needs the browser: posted plainly, the answer
/// would be a redirect and the key never seen.
#[component]
fn CreateKey(
    runtime_id: i64,
    runtime_name: String,
    create: ServerAction<CreateRuntimeKey>,
) -> impl IntoView {
    view! {
        <ActionForm action=create>
            <input type="hidden" name="runtime_id" value=runtime_id/>
            <button class="small" type="submit" aria-label=format!("Create API key for {runtime_name}")>"Create API key"</button>
        </ActionForm>
    }
}

/// The key just created, shown once (it is stored only as a hash).
#[component]
fn NewKey(create: ServerAction<CreateRuntimeKey>) -> impl IntoView {
    view! {
        // Only an answer to a call from here: a value before that would come from the URL.
        {move || (create.version().get() > 0).then(|| create.value().get()).flatten().map(|r| match r {
            Ok(key) => view! {
                <div class="alert success new-key" role="status">
                    <p>"New runtime API key (shown only once; store it in the runtime now):"</p>
                    <code aria-label="New runtime API key">{key}</code>
                </div>
            }.into_any(),
            Err(e) => view! { <p class="alert error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
    }
}

fn provider_options(oauth_only: bool) -> impl IntoView {
    ProviderKind::ALL
        .into_iter()
        .filter(move |k| !oauth_only || k.supports_oauth())
        .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
        .collect_view()
}

#[component]
fn AccountAdmin(
    account: AdminAccount,
    save: ServerAction<SaveOauthApp>,
    remove: ServerAction<RemoveOauthApp>,
    add_runtime: ServerAction<AddRuntime>,
    add_member: ServerAction<AddMember>,
    policy: ServerAction<SetPolicy>,
    keys: Keys,
    row_actions: RowActions,
) -> impl IntoView {
    let id = account.id;
    let f = move |name: &str| format!("{name}-{id}");
    view! {
        <section class="card admin-account" aria-labelledby=f("account")>
            <h2 id=f("account")>{account.name.clone()}</h2>

            <h3>"OAuth apps"</h3>
            {if account.oauth_apps.is_empty() {
                view! { <p class="muted">"No OAuth app yet: users of this account authorize with personal access tokens."</p> }.into_any()
            } else {
                view! {
                    <table class="admin-table">
                        <caption class="sr-only">{format!("OAuth apps of {}", account.name)}</caption>
                        <thead><tr><th scope="col">"Git provider"</th><th scope="col">"Client ID"</th><th scope="col">"Permissions"</th><th scope="col">"Token expiry"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {account.oauth_apps.clone().into_iter().map(|o| view! {
                                <tr>
                                    <th scope="row">{o.provider.label()}</th>
                                    <td class="mono">{o.client_id.clone()}</td>
                                    <td>{o.scopes.clone()}</td>
                                    <td>{o.expiry_days.map(|d| format!("{d} days")).unwrap_or_else(|| "From the provider".into())}</td>
                                    <td>
                                        <ActionForm action=remove>
                                            <input type="hidden" name="account_id" value=id/>
                                            <input type="hidden" name="provider" value=o.provider.as_str()/>
                                            <button class="small danger" type="submit" aria-label=format!("Remove the OAuth app for {}", o.provider.label())>"Remove"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <details class="advanced">
                <summary>"Add or replace an OAuth app"</summary>
                <ActionForm action=save>
                    <input type="hidden" name="account_id" value=id/>
                    <label for=f("oa-provider")>"Git provider"</label>
                    <select id=f("oa-provider") name="provider">{provider_options(true)}</select>
                    <label for=f("oa-client-id")>"Client ID"</label>
                    <input id=f("oa-client-id") name="client_id" type="text" autocomplete="off"/>
                    <label for=f("oa-secret")>"Client secret"</label>
                    <input id=f("oa-secret") name="client_secret" type="password" autocomplete="off"/>
                    <p class="hint">"Stored encrypted, and never shown again."</p>
                    <label for=f("oa-authorize")>"Authorize URL"</label>
                    <input id=f("oa-authorize") name="authorize_url" type="text" placeholder="https://github.com/login/oauth/authorize"/>
                    <label for=f("oa-token")>"Token URL"</label>
                    <input id=f("oa-token") name="token_url" type="text" placeholder="https://github.com/login/oauth/access_token"/>
                    <label for=f("oa-scopes")>"Permissions (scopes)"</label>
                    <input id=f("oa-scopes") name="scopes" type="text" placeholder="repo"/>
                    <label for=f("oa-expiry")>"Token expiry (days)"</label>
                    <input id=f("oa-expiry") name="expiry_days" type="text" inputmode="numeric" placeholder="Leave empty to use the provider's"/>
                    <div class="form-actions"><button class="primary" type="submit">"Save OAuth app"</button></div>
                </ActionForm>
            </details>

            <h3>"Token policy"</h3>
            <p class="policy-now">{policy_text(account.policy)}</p>
            <details class="advanced">
                <summary>"Change the token policy"</summary>
                <ActionForm action=policy>
                    <input type="hidden" name="account_id" value=id/>
                    <label for=f("pol-days")>"Maximum token lifetime (days)"</label>
                    <input id=f("pol-days") name="max_token_days" type="text" inputmode="numeric"
                        placeholder="Leave empty for no limit"
                        value=account.policy.max_token_days.map(|d| d.to_string()).unwrap_or_default()/>
                    <p class="hint">"Pasted tokens without an expiration date, or expiring later, are refused."</p>
                    <label class="checkbox" for=f("pol-oauth")>
                        <input id=f("pol-oauth") name="oauth_only" type="checkbox" value="on" checked=account.policy.oauth_only/>
                        <span>"OAuth only"</span>
                    </label>
                    <p class="hint">"No personal access tokens for runtimes whose Git provider has an OAuth app here."</p>
                    <div class="form-actions"><button class="primary" type="submit">"Save token policy"</button></div>
                </ActionForm>
            </details>

            <h3>"GitOps Runtimes"</h3>
            <ul class="plain-list">
                {account.runtimes.clone().into_iter().map(|r| {
                    let rt_keys: Vec<_> = account.keys.iter().filter(|k| k.runtime_id == r.id).cloned().collect();
                    let used = recent_use_text(&account.recent_use, r.id);
                    // The repository form's parts, made before its ActionForm takes what it shows.
                    let (repo_input, repo_value) = (f(&format!("repo-{}", r.id)), r.repo.clone().unwrap_or_default());
                    let save_repo = format!("Save the repository of {}", r.name);
                    view! {
                        <li>
                            <strong>{r.name.clone()}</strong>
                            <span>{format!(" · {} · {}{}", r.provider.label(), r.api_url, r.repo.as_ref().map(|x| format!(" · {x}")).unwrap_or_default())}</span>
                            <p class="hint recent-use">{used}</p>
                            <ul class="keys">
                                {rt_keys.into_iter().map(|k| view! {
                                    <li>
                                        <span class="mono">{format!("gpk_{}_…", k.prefix)}</span>
                                        <span>{format!(" created {}", crate::model::when::minute(k.created_at))}</span>
                                        {if k.revoked {
                                            view! { <span class="tag">"revoked"</span> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=keys.revoke>
                                                    <input type="hidden" name="runtime_id" value=r.id/>
                                                    <input type="hidden" name="prefix" value=k.prefix.clone()/>
                                                    <button class="small danger" type="submit" aria-label=format!("Revoke key {}", k.prefix)>"Revoke"</button>
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                    </li>
                                }).collect_view()}
                            </ul>
                            <CreateKey runtime_id=r.id runtime_name=r.name.clone() create=keys.create/>
                            <details class="repo-edit">
                                <summary>{format!("Repository of {}…", r.name)}</summary>
                                <ActionForm action=row_actions.repo>
                                    <input type="hidden" name="account_id" value=id/>
                                    <input type="hidden" name="runtime_id" value=r.id/>
                                    <label for=repo_input.clone()>"Repository"</label>
                                    <input id=repo_input name="repo" type="text" value=repo_value placeholder=repo_form(r.provider)/>
                                    <p class="hint">"Users' tokens must be able to write to it; empty: none. The tokens are checked against it in the next re-validation."</p>
                                    <div class="form-actions"><button class="primary small" type="submit" aria-label=save_repo>"Save repository"</button></div>
                                </ActionForm>
                            </details>
                            <details class="remove">
                                <summary>{format!("Remove {}…", r.name)}</summary>
                                <p>{format!("Removing {} deletes its users' tokens for it and its API keys; the runtime can no longer read any credential.", r.name)}</p>
                                <ActionForm action=row_actions.runtime>
                                    <input type="hidden" name="runtime_id" value=r.id/>
                                    <button class="small danger" type="submit" aria-label=format!("Remove runtime {}", r.name)>"Remove runtime"</button>
                                </ActionForm>
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <details class="advanced">
                <summary>"Add a GitOps Runtime"</summary>
                <ActionForm action=add_runtime>
                    <input type="hidden" name="account_id" value=id/>
                    <label for=f("rt-name")>"Runtime name"</label>
                    <input id=f("rt-name") name="name" type="text"/>
                    <label for=f("rt-provider")>"Git provider"</label>
                    <select id=f("rt-provider") name="provider">{provider_options(false)}</select>
                    <label for=f("rt-api")>"API URL"</label>
                    <input id=f("rt-api") name="api_url" type="text" placeholder="Empty for github.com, gitlab.com or bitbucket.org"/>
                    <label for=f("rt-repo")>"Repository"</label>
                    <input id=f("rt-repo") name="repo" type="text" aria-describedby=f("rt-repo-hint") placeholder="acme/gitops-runtime"/>
                    <p class="hint" id=f("rt-repo-hint")>"Optional: the runtime's shared configuration repository (GitHub OWNER/NAME, GitLab GROUP/PROJECT, Bitbucket WORKSPACE/SLUG or PROJECT/SLUG). Users' tokens must be able to write to it."</p>
                    <div class="form-actions"><button class="primary" type="submit">"Add Runtime"</button></div>
                </ActionForm>
            </details>

            <h3>"Members"</h3>
            <ul class="plain-list">
                {account.members.clone().into_iter().map(|m| view! {
                    // One text node per element: adjacent text nodes merge in the browser's
                    // parser and no longer match what hydration walks (docs/spa.md).
                    <li>
                        <span>{format!("{} · ", m.display_name)}</span><span class="mono">{m.email.clone()}</span><span>{format!(" · {}", m.role.as_str())}</span>
                        <ActionForm action=row_actions.member>
                            <input type="hidden" name="account_id" value=id/>
                            <input type="hidden" name="email" value=m.email.clone()/>
                            <button class="small danger" type="submit" aria-label=format!("Remove {} from the account", m.email)>"Remove"</button>
                        </ActionForm>
                    </li>
                }).collect_view()}
            </ul>
            <details class="advanced">
                <summary>"Add a member"</summary>
                <ActionForm action=add_member>
                    <input type="hidden" name="account_id" value=id/>
                    <label for=f("m-email")>"Email"</label>
                    <input id=f("m-email") name="email" type="email"/>
                    <label for=f("m-role")>"Role"</label>
                    <select id=f("m-role") name="role">
                        <option value="member">"member"</option>
                        <option value="admin">"admin"</option>
                    </select>
                    <div class="form-actions"><button class="primary" type="submit">"Add member"</button></div>
                </ActionForm>
            </details>

            <h3>"Audit trail"</h3>
            {if account.audit.is_empty() {
                view! { <p class="muted">"No events yet."</p> }.into_any()
            } else {
                view! {
                    <table class="admin-table audit">
                        <caption class="sr-only">{format!("Audit trail of {}", account.name)}</caption>
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Runtime"</th><th scope="col">"From"</th></tr></thead>
                        <tbody>
                            {account.audit.clone().into_iter().map(|e| view! {
                                <tr>
                                    <td><time datetime=crate::model::when::machine(e.at)>{crate::model::when::second(e.at)}</time></td>
                                    // Users are disabled, never deleted: an event without one is an operator's (the CLI).
                                    <td class="mono">{e.who.unwrap_or_else(|| "(operator)".into())}</td>
                                    <td><span>{e.action.label()}</span>{(!e.detail.is_empty()).then(|| view! { <span class="muted">{format!(" ({})", e.detail)}</span> })}</td>
                                    // None, not "": an empty text node is not in the parsed page,
                                    // and hydration would look for it (docs/spa.md).
                                    <td>{e.runtime}</td>
                                    <td class="mono">{e.client_addr}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// Whose tokens a runtime read lately, for its line in the Admin area.
fn recent_use_text(uses: &[crate::model::TokenUseView], runtime_id: i64) -> String {
    let days = crate::model::RECENT_USE_DAYS;
    let who: Vec<String> = uses
        .iter()
        .filter(|u| u.runtime_id == runtime_id)
        .map(|u| format!("{} ({})", u.email, crate::model::when::date(u.last_used_at)))
        .collect();
    if who.is_empty() {
        format!("Read no member's token in the last {days} days.")
    } else {
        format!(
            "Members' tokens read in the last {days} days: {}",
            who.join(", ")
        )
    }
}

/// The account's token policy in words.
fn policy_text(p: crate::model::TokenPolicy) -> String {
    let lifetime = match p.max_token_days {
        Some(d) => format!("Pasted tokens must expire within {d} days."),
        None => "No limit on token lifetime.".to_string(),
    };
    if p.oauth_only {
        format!("{lifetime} OAuth only where an OAuth app is set up.")
    } else {
        lifetime
    }
}
