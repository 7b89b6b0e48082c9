//! The Add Token and Delete Token drawers of one runtime. Each has its own URL and is a page
//! over the list: its forms post and redirect (back to the list with a notice, or to the drawer
//! with the error). Cancel, or Escape once the page is live, closes it.

use crate::api::{AddToken, DeleteToken};
use crate::components::layout::use_page_data;
use crate::components::EscapeGoesTo;
use crate::model::{token_page_url, token_steps, TokenRow};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

const LIST: &str = "/git-personal-access-tokens";

/// The row of the runtime named in the URL, once the rows are loaded.
fn use_row() -> impl Fn() -> Option<Result<TokenRow, String>> + Copy {
    let data = use_page_data();
    let params = use_params_map();
    move || {
        let id = params.read().get("id").and_then(|s| s.parse::<i64>().ok());
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

#[component]
fn Drawer(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <EscapeGoesTo href=LIST.to_string()/>
        <div class="drawer-backdrop">
            <section class="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title">
                <h2 id="drawer-title">{title}</h2>
                {children()}
            </section>
        </div>
    }
}

#[component]
pub fn AddTokenDrawer() -> impl IntoView {
    let row = use_row();
    let add = ServerAction::<AddToken>::new();
    let error = move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <Drawer title="Add Token">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || row().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e}</p>
                        <a class="button" href=LIST>"Close"</a>
                    }.into_any(),
                    Ok(row) => {
                        let rt = row.runtime.clone();
                        let kind = rt.provider;
                        view! {
                            <p class="drawer-runtime">
                                <img src=kind.logo() alt="" width="18" height="18"/>
                                " GitOps Runtime " <strong>{rt.name.clone()}</strong>
                                {format!(" · {} · {}", rt.account_name, kind.label())}
                            </p>
                            {row.token.as_ref().map(|t| view! {
                                <p class="hint">{format!("This Runtime already has a token (••••{}). A new token replaces it once it has been validated.", t.last4)}</p>
                            })}
                            {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
                            {row.oauth_available.then(|| view! {
                                <form class="oauth-start" method="post" action="/oauth/start">
                                    <input type="hidden" name="runtime_id" value=rt.id/>
                                    <button class="primary wide" type="submit">{format!("Authorize Access to {}", kind.family())}</button>
                                    <p class="hint">{format!("Sign in at {} (with two-factor verification if it asks), and you come back here with the Runtime authorized.", kind.family())}</p>
                                </form>
                            })}
                            <ActionForm action=add>
                                <input type="hidden" name="runtime_id" value=rt.id/>
                                // Open again after a refused token, so the fields are at hand.
                                <details class="advanced" open=error().is_some()>
                                    <summary>"Advanced authorization options"</summary>
                                    {kind.needs_username().then(|| view! {
                                        <label for="username">"Bitbucket username"</label>
                                        <input id="username" name="username" type="text" autocomplete="username" spellcheck="false"/>
                                        <p class="hint">"For Bitbucket Cloud API tokens, your Atlassian account email."</p>
                                    })}
                                    <label for="token">"Personal Access Token"</label>
                                    <input id="token" name="token" type="password" autocomplete="off" spellcheck="false"/>
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
                                    <button class="primary" type="submit">"Add Token"</button>
                                </div>
                            </ActionForm>
                        }.into_any()
                    }
                })}
            </Transition>
        </Drawer>
    }
}

#[component]
pub fn DeleteTokenDrawer() -> impl IntoView {
    let row = use_row();
    let delete = ServerAction::<DeleteToken>::new();
    let error = move || {
        delete
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    view! {
        <Drawer title="Delete Token">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || row().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e}</p>
                        <a class="button" href=LIST>"Close"</a>
                    }.into_any(),
                    Ok(row) => view! {
                        <p>
                            "Delete your Git user token for " <strong>{row.runtime.name.clone()}</strong> "? "
                            "You will no longer have access to the Git repositories, Git Sources and other resources associated with this Runtime. The Runtime itself is not affected."
                        </p>
                        {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
                        <ActionForm action=delete>
                            <input type="hidden" name="runtime_id" value=row.runtime.id/>
                            <div class="form-actions">
                                <a class="button" href=LIST>"Cancel"</a>
                                <button class="primary danger-fill" type="submit">"Delete Token"</button>
                            </div>
                        </ActionForm>
                    }.into_any(),
                })}
            </Transition>
        </Drawer>
    }
}
