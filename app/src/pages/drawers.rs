//! The Add Token, Delete Token and Rotate token drawers of one runtime, child routes of the token list. In the
//! browser their forms call the server functions in place: the button shows that the provider is
//! being asked, a refusal appears in the form, a success closes the drawer and the list updates.
//! Without JavaScript the same forms post and redirect (back to the list with a notice, or to
//! the drawer with the error kept in the session).

use crate::components::drawer::{Drawer, LIST};
use crate::components::form_error;
use crate::components::layout::use_page_data;
use crate::model::{
    revoke_page_url, token_page_url, token_steps, ProviderKind, TokenMethod, TokenRow, TokenStatus,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

crate::components::lazy_page! {
    /// The Add Token drawer as a lazy route: the list's first load does not carry its code.
    AddTokenRoute => AddTokenDrawer
}

crate::components::lazy_page! {
    /// The Delete Token drawer as a lazy route.
    DeleteTokenRoute => DeleteTokenDrawer
}

crate::components::lazy_page! {
    /// The Rotate token drawer as a lazy route.
    RotateTokenRoute => RotateTokenDrawer
}

crate::components::lazy_page! {
    /// The Authorize for SSO drawer as a lazy route.
    SsoRoute => SsoDrawer
}

/// The runtime id named in the URL.
fn use_runtime_id() -> impl Fn() -> Option<i64> + Copy {
    let params = use_params_map();
    move || params.read().get("id").and_then(|s| s.parse::<i64>().ok())
}

/// The DOM id of the row button that opens this drawer (`add-token-3`).
fn opener(kind: &str) -> String {
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    crate::components::drawer::row_button_id(kind, id)
}

/// The row of the runtime named in the URL, once the rows are loaded.
fn use_row() -> impl Fn() -> Option<Result<TokenRow, String>> + Copy {
    let data = use_page_data();
    let id = use_runtime_id();
    move || {
        let id = id();
        data.tokens.get().map(|r| {
            r.map_err(|e| e.to_string()).and_then(|rows| {
                rows.into_iter()
                    .find(|row| Some(row.runtime.id) == id)
                    .ok_or_else(|| {
                        "No such GitOps Runtime, or you are not a member of its account."
                            .to_string()
                    })
            })
        })
    }
}

/// A drawer about the runtime named in the URL: `body` shows its row once the rows are loaded;
/// a runtime that is not the user's gets why, and a way back to the list.
#[component]
fn RowDrawer<F>(title: &'static str, opener: String, body: F) -> impl IntoView
where
    F: Fn(TokenRow) -> AnyView + Send + Sync + 'static,
{
    let row = use_row();
    view! {
        <Drawer title opener>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || row().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e}</p>
                        <a class="button" href=LIST>"Close"</a>
                    }.into_any(),
                    Ok(row) => body(row),
                })}
            </Transition>
        </Drawer>
    }
}

/// A refusal shown in the form; in the browser focus moves to it, so it is read out.
#[component]
fn FormError(error: impl Fn() -> Option<String> + Copy + Send + Sync + 'static) -> impl IntoView {
    let alert = NodeRef::<leptos::html::P>::new();
    Effect::new(move |_| {
        if error().is_some() {
            if let Some(el) = alert.get() {
                let _ = el.focus();
            }
        }
    });
    move || {
        error().map(
            |e| view! { <p class="alert error" role="alert" tabindex="-1" node_ref=alert>{e}</p> },
        )
    }
}

#[component]
pub fn AddTokenDrawer() -> impl IntoView {
    // The call is the layout's (see `PageData::add`); what it answered for another drawer is not
    // this drawer's.
    let add = use_page_data().add();
    add.clear();
    let opener = opener("add");
    let error = form_error(add);
    let pending = add.pending();
    let token_input = NodeRef::<leptos::html::Input>::new();
    // A refused token is cleared from its field; the username stays as typed.
    Effect::new(move |_| {
        if let Some(Err(_)) = add.value().get() {
            if let Some(el) = token_input.get_untracked() {
                el.set_value("");
            }
        }
    });
    view! {
        <RowDrawer title="Add Token" opener body=move |row: TokenRow| {
                let rt = row.runtime.clone();
                let kind = rt.provider;
                // Open again after a refused plain post, so the fields are at hand.
                // Read untracked: a refusal in the browser must not render the form
                // again (that would empty the fields).
                let reopen = untrack(error).is_some();
                view! {
                    <p class="drawer-runtime">
                        <img src=kind.logo() alt="" width="18" height="18"/>
                        <span>" GitOps Runtime "</span>
                        <strong>{rt.name.clone()}</strong>
                        <span>{format!(" · {} · {}", rt.account_name, kind.label())}</span>
                    </p>
                    {row.token.as_ref().map(|t| view! {
                        <p class="hint">{format!("This Runtime already has a token (••••{}). A new token replaces it once it has been validated.", t.last4)}</p>
                    })}
                    {row.oauth_available.then(|| view! {
                        <form class="oauth-start" method="post" action="/oauth/start">
                            <input type="hidden" name="runtime_id" value=rt.id/>
                            <button class="primary wide" type="submit">{format!("Authorize Access to {}", kind.family())}</button>
                            <p class="hint">{format!("Sign in at {} (with two-factor verification if it asks), and you come back here with the Runtime authorized.", kind.family())}</p>
                        </form>
                    })}
                    {row.policy.statement(row.oauth_available).map(|text| view! {
                        <p class="alert warning policy" role="note">{text}</p>
                    })}
                    {if row.policy.pat_closed(row.oauth_available) {
                        view! {
                            <div class="form-actions"><a class="button" href=LIST>"Cancel"</a></div>
                        }.into_any()
                    } else {
                        view! {
                        <ActionForm action=add>
                            <FormError error/>
                            <input type="hidden" name="runtime_id" value=rt.id/>
                            <details class="advanced" open=reopen>
                                <summary>"Advanced authorization options"</summary>
                                {kind.needs_username().then(|| view! {
                                    <label for="username">"Bitbucket username"</label>
                                    <input id="username" name="username" type="text" autocomplete="username" spellcheck="false"/>
                                    <p class="hint">"For Bitbucket Cloud API tokens, your Atlassian account email."</p>
                                })}
                                <label for="token">"Personal Access Token"</label>
                                <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" node_ref=token_input/>
                                <div class="how-to">
                                    <p><strong>{format!("How to generate a {} token", kind.family())}</strong></p>
                                    <ol>{token_steps(kind).iter().map(|s| view! { <li>{*s}</li> }).collect_view()}</ol>
                                    <p>
                                        <a href=token_page_url(kind, &rt.api_url) target="_blank" rel="noopener noreferrer">
                                            {format!("Open the {} token page", kind.label())}
                                        </a>
                                    </p>
                                </div>
                            </details>
                            <div class="form-actions">
                                <a class="button" href=LIST>"Cancel"</a>
                                <button class="primary" type="submit" disabled=move || pending.get()>
                                    {move || if pending.get() { "Validating…" } else { "Add Token" }}
                                </button>
                            </div>
                        </ActionForm>
                        }.into_any()
                    }}
                }.into_any()
            }/>
    }
}

#[component]
pub fn DeleteTokenDrawer() -> impl IntoView {
    let delete = use_page_data().delete();
    delete.clear();
    let opener = opener("delete");
    let error = form_error(delete);
    let pending = delete.pending();
    view! {
        <RowDrawer title="Delete Token" opener body=move |row: TokenRow| view! {
                <p>
                    <span>"Delete your Git user token for "</span>
                    <strong>{row.runtime.name.clone()}</strong>
                    <span>"? You will no longer have access to the Git repositories, Git Sources and other resources associated with this Runtime. The Runtime itself is not affected."</span>
                </p>
                {at_provider(&row)}
                <ActionForm action=delete>
                    <FormError error/>
                    <input type="hidden" name="runtime_id" value=row.runtime.id/>
                    <div class="form-actions">
                        <a class="button" href=LIST>"Cancel"</a>
                        <button class="primary danger-fill" type="submit" disabled=move || pending.get()>
                            {move || if pending.get() { "Deleting…" } else { "Delete Token" }}
                        </button>
                    </div>
                </ActionForm>
            }.into_any()/>
    }
}

/// What deleting will do at the provider, said before the user confirms.
fn at_provider(row: &TokenRow) -> impl IntoView {
    let provider = row.runtime.provider;
    let token = row.token.as_ref();
    let oauth = token.is_some_and(|t| t.method == TokenMethod::Oauth);
    let shared = token.map(|t| t.shared_with.join(", ")).unwrap_or_default();
    let page = revoke_page_url(provider, &row.runtime.api_url, oauth);
    if !shared.is_empty() {
        view! {
            <p class="hint at-provider">{format!("{shared} use the same token, so it stays valid at {}.", provider.label())}</p>
        }
        .into_any()
    } else if oauth && provider.revokes_oauth_tokens() {
        view! {
            <p class="hint at-provider">{format!("The OAuth token is revoked at {} too.", provider.label())}</p>
        }
        .into_any()
    } else {
        view! {
            <p class="hint at-provider">
                <span>{format!("The token is removed here only: it stays valid at {} until you revoke it on your ", provider.label())}</span>
                <a href=page target="_blank" rel="noopener noreferrer">{format!("{} settings page", provider.family())}</a>
                <span>"."</span>
            </p>
        }
        .into_any()
    }
}

/// Rotate token: GitLab issues the new token itself; for the other providers the user makes one
/// (the steps and the provider's page are here) and pastes it once. Either way every runtime that
/// held the old token gets the new one.
#[component]
pub fn RotateTokenDrawer() -> impl IntoView {
    let rotate = use_page_data().rotate();
    rotate.clear();
    let opener = opener("rotate");
    let error = form_error(rotate);
    let pending = rotate.pending();
    view! {
        <RowDrawer title="Rotate token" opener body=move |row: TokenRow| {
                let rt = row.runtime.clone();
                let kind = rt.provider;
                let Some(token) = row.token.clone().filter(|t| t.method == TokenMethod::Pat) else {
                    return view! {
                        <p>"Only a personal access token can be rotated here; OAuth tokens are renewed by their provider."</p>
                        <a class="button" href=LIST>"Close"</a>
                    }.into_any();
                };
                let holders = std::iter::once(rt.name.clone())
                    .chain(token.shared_with.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(", ");
                let at_gitlab = matches!(kind, ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged);
                let submit = move || if pending.get() { "Rotating…" } else { "Rotate token" };
                if at_gitlab {
                    view! {
                        <p>{format!("{} issues a new token with the same scopes and revokes this one (••••{}). The new token goes to every GitOps Runtime that uses it: {holders}.", kind.label(), token.last4)}</p>
                        <ActionForm action=rotate>
                            <FormError error/>
                            <input type="hidden" name="runtime_id" value=rt.id/>
                            <div class="form-actions">
                                <a class="button" href=LIST>"Cancel"</a>
                                <button class="primary" type="submit" disabled=move || pending.get()>{submit}</button>
                            </div>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        <p>{format!("Create a new token at {}, paste it here, and it replaces ••••{} in every GitOps Runtime that uses it: {holders}. Then revoke the old token at {}.", kind.label(), token.last4, kind.family())}</p>
                        <div class="how-to">
                            <p><strong>{format!("How to generate a {} token", kind.family())}</strong></p>
                            <ol>{token_steps(kind).iter().map(|s| view! { <li>{*s}</li> }).collect_view()}</ol>
                            <p>
                                <a href=token_page_url(kind, &rt.api_url) target="_blank" rel="noopener noreferrer">
                                    {format!("Open the {} token page", kind.label())}
                                </a>
                            </p>
                        </div>
                        <ActionForm action=rotate>
                            <FormError error/>
                            <input type="hidden" name="runtime_id" value=rt.id/>
                            <label for="new-token">"New Personal Access Token"</label>
                            <input id="new-token" name="token" type="password" autocomplete="off" spellcheck="false"/>
                            <div class="form-actions">
                                <a class="button" href=LIST>"Cancel"</a>
                                <button class="primary" type="submit" disabled=move || pending.get()>{submit}</button>
                            </div>
                        </ActionForm>
                    }.into_any()
                }
            }/>
    }
}

/// A token GitHub refuses for the runtime's repository until it is authorized for the
/// organisation's SAML single sign-on: GitHub's link, then Check again.
#[component]
pub fn SsoDrawer() -> impl IntoView {
    let check = use_page_data().check();
    check.clear();
    let opener = opener("sso");
    let error = form_error(check);
    let pending = check.pending();
    view! {
        <RowDrawer title="Authorize for SSO" opener body=move |row: TokenRow| {
                let rt = row.runtime.clone();
                let Some((token, link)) = row.token.clone()
                    .filter(|_| row.status == TokenStatus::NeedsSso)
                    .and_then(|t| t.sso_url.clone().map(|l| (t, l)))
                else {
                    return view! {
                        <p>{format!("The token for {} does not wait for single sign-on authorization.", rt.name)}</p>
                        <a class="button" href=LIST>"Close"</a>
                    }.into_any();
                };
                let repo = rt.repo.clone().unwrap_or_default();
                view! {
                    <p>{format!("{} refuses this token (••••{}) for {repo}, the repository of {}, until you authorize it for your organization's SAML single sign-on.", rt.provider.label(), token.last4, rt.name)}</p>
                    <ol>
                        <li>
                            <a href=link target="_blank" rel="noopener noreferrer">{format!("Authorize the token at {}", rt.provider.label())}</a>
                            <span>" (it opens in a new tab)."</span>
                        </li>
                        <li>"Come back here and check again."</li>
                    </ol>
                    <ActionForm action=check>
                        <FormError error/>
                        <input type="hidden" name="runtime_id" value=rt.id/>
                        <div class="form-actions">
                            <a class="button" href=LIST>"Cancel"</a>
                            <button class="primary" type="submit" disabled=move || pending.get()>
                                {move || if pending.get() { "Checking…" } else { "Check again" }}
                            </button>
                        </div>
                    </ActionForm>
                }.into_any()
            }/>
    }
}
