//! The signed-in shell: toolbar (product, accounts, notifications bell, avatar menu) around a
//! page, and the data the pages below share: the token rows and one-time notices. Rendered on
//! the server (every change posts and redirects, so each page view reads fresh data).

use crate::api::{get_me, list_tokens, recent_activity, take_flash};
use crate::components::menu::MenuButton;
use crate::error::AppError;
use crate::model::{ActivityItem, TokenRow, UserView};
use leptos::prelude::*;
use leptos_router::components::Outlet;

/// Shared by the toolbar and the token page.
#[derive(Clone, Copy)]
pub struct PageData {
    pub tokens: Resource<Result<Vec<TokenRow>, AppError>>,
    /// The user's latest audit events ("Recent activity").
    pub activity: Resource<Result<Vec<ActivityItem>, AppError>>,
}

pub fn use_page_data() -> PageData {
    expect_context::<PageData>()
}

#[component]
pub fn Layout() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    // Read once per page view: pages render on the server only (islands).
    let tokens = Resource::new(|| (), |_| list_tokens());
    let flash = Resource::new(|| (), |_| take_flash());
    let activity = Resource::new(|| (), |_| recent_activity());
    provide_context(PageData { tokens, activity });

    view! {
        <header class="toolbar">
            <a class="brand" href="/git-personal-access-tokens">
                <img src="/favicon.svg" alt="" width="24" height="24"/>
                <span>"gitpat"</span>
            </a>
            <Transition fallback=|| ()>
                {move || {
                    me.get()
                        .map(|r| match r {
                            Ok(user) => view! { <UserTools user/> }.into_any(),
                            Err(_) => view! { <a class="button" href="/login">"Sign in"</a> }.into_any(),
                        })
                }}
            </Transition>
        </header>
        <Transition fallback=|| ()>
            {move || {
                flash
                    .get()
                    .and_then(|f| f.ok().flatten())
                    .map(|f| {
                        if f.error {
                            view! { <p class="flash alert error" role="alert">{f.text}</p> }.into_any()
                        } else {
                            view! { <p class="flash alert success" role="status">{f.text}</p> }.into_any()
                        }
                    })
            }}
        </Transition>
        <Outlet/>
    }
}

#[component]
fn UserTools(user: UserView) -> impl IntoView {
    let accounts = user
        .accounts
        .iter()
        .map(|a| a.name.clone())
        .collect::<Vec<_>>()
        .join(" · ");
    let initials = user.initials.clone();
    let is_admin = user
        .accounts
        .iter()
        .any(|a| a.role == crate::model::Role::Admin);
    view! {
        <div class="toolbar-tools">
            <span class="accounts" title="Your accounts">{accounts}</span>
            <NotificationsBell/>
            <MenuButton label="Account menu" menu_id="avatar-menu" button_class="avatar" face=move || initials>
                <li role="none" class="menu-header">
                    <strong>{user.display_name.clone()}</strong>
                    <span>{user.email.clone()}</span>
                </li>
                <li role="none">
                    <a role="menuitem" href="/git-personal-access-tokens">"Git Personal Access Token"</a>
                </li>
                {is_admin.then(|| view! {
                    <li role="none">
                        <a role="menuitem" href="/admin">"Admin"</a>
                    </li>
                })}
                <li role="none">
                    <a role="menuitem" href="/account/password">"Change password"</a>
                </li>
                <li role="none">
                    <form method="post" action="/logout">
                        <button role="menuitem" type="submit">"Log out"</button>
                    </form>
                </li>
            </MenuButton>
        </div>
    }
}

/// The bell: how many runtimes have an invalid or expired token (hidden ones excluded), and a
/// menu linking to each one's Add Token form.
#[component]
fn NotificationsBell() -> impl IntoView {
    let data = use_page_data();
    view! {
        <Transition fallback=|| ()>
            {move || {
                // Only the rows that ring are copied out of the resource.
                let rows: Vec<TokenRow> = data.tokens.with(|r| match r {
                    Some(Ok(rows)) => rows.iter().filter(|r| r.notifies()).cloned().collect(),
                    _ => Vec::new(),
                });
                let count = rows.len();
                let items = if rows.is_empty() {
                    view! { <li role="none" class="menu-empty">"No notifications"</li> }.into_any()
                } else {
                    rows.into_iter()
                        .map(|r| {
                            let href = format!("/git-personal-access-tokens/{}/add", r.runtime.id);
                            view! {
                                <li role="none">
                                    <a role="menuitem" href=href>
                                        <span>{r.runtime.name.clone()}</span>
                                        <span class=format!("status status-{}", r.status.as_str())>{r.status.label()}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()
                        .into_any()
                };
                view! {
                    <MenuButton
                        label=format!("Notifications: {count}")
                        menu_id="notifications-menu"
                        button_class="bell"
                        face=move || view! {
                            <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
                                <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" fill="currentColor"/>
                            </svg>
                            <span class="badge" class:zero=count == 0 aria-hidden="true">{count}</span>
                        }
                    >
                        {items}
                    </MenuButton>
                }
            }}
        </Transition>
    }
}
