//! The signed-in shell: toolbar (product, accounts, notifications bell, avatar menu) around a
//! page, and the data the pages below share: the token rows, Recent activity and the notices.
//! Every resource of the signed-in pages is created here, at the top of the route, and only
//! read below it (see docs/spa.md: a resource created inside a Suspense re-runs and never
//! settles, and resources created in different orders on server and browser do not hydrate).

use crate::api::{
    get_me, list_tokens, recent_activity, take_flash, AddToken, CheckToken, DeleteToken,
    RotateToken,
};
use crate::components::drawer::LIST;
use crate::components::menu::MenuButton;
use crate::components::on_success;
use crate::components::sync_html::RenderOnce;
use crate::error::AppError;
use crate::model::{notice, ActivityItem, Flash, TokenRow, TokenStatus, UserView};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate};
use std::collections::HashMap;

/// A notice shown on one page: the success of a change made in the browser, or a refusal of a
/// switch that was rolled back.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub flash: Flash,
    pub path: String,
}

/// Shared by the toolbar and the pages.
#[derive(Clone, Copy)]
pub struct PageData {
    pub me: Resource<Result<UserView, AppError>>,
    pub tokens: Resource<Result<Vec<TokenRow>, AppError>>,
    /// The user's latest audit events ("Recent activity").
    pub activity: Resource<Result<Vec<ActivityItem>, AppError>>,
    /// The notice a plain form post left in the session for this page view.
    pub flash: Resource<Result<Option<Flash>, AppError>>,
    /// Bumped after a change made from the browser: every resource above reads again.
    pub changed: RwSignal<usize>,
    /// Bumped after a change that only adds to Recent activity.
    pub events: RwSignal<usize>,
    /// Hide notifications switches flipped here, ahead of (and then confirmed by) the server.
    pub hidden: RwSignal<HashMap<i64, bool>>,
    pub notice: RwSignal<Option<Notice>>,
    /// The drawers' calls ([`PageData::add`], [`PageData::delete`]). Owned here, not by a
    /// drawer: a call still running when its drawer is left (Escape, Cancel) still refreshes the
    /// list and leaves its notice when it ends.
    add: StoredValue<Option<ServerAction<AddToken>>>,
    delete: StoredValue<Option<ServerAction<DeleteToken>>>,
    rotate: StoredValue<Option<ServerAction<RotateToken>>>,
    check: StoredValue<Option<ServerAction<CheckToken>>>,
    /// The layout's owner, where the drawers' calls are made (weak: it owns this).
    owner: StoredValue<WeakOwner>,
    /// Set on the first navigation in the browser: the server's notice was for the first page.
    pub navigated: RwSignal<bool>,
    /// The id of the row button a closed drawer gives focus back to, once the rows that hold
    /// it are rendered again.
    pub return_focus: RwSignal<Option<String>>,
}

pub fn use_page_data() -> PageData {
    expect_context::<PageData>()
}

impl PageData {
    /// The token rows with the switches flipped in this browser applied: what the table, the
    /// banner and the bell show.
    pub fn rows(&self) -> Option<Result<Vec<TokenRow>, AppError>> {
        let hidden = self.hidden.get();
        self.tokens.get().map(|r| {
            r.map(|mut rows| {
                for row in &mut rows {
                    if let Some(h) = hidden.get(&row.runtime.id) {
                        row.notifications_hidden = *h;
                    }
                }
                rows
            })
        })
    }

    /// The Add Token call. Made the first time a drawer asks, so that its code is in the drawer's
    /// WASM chunk, not in the token page's first load.
    pub fn add(&self) -> ServerAction<AddToken> {
        self.action(self.add, "add", notice::token_added)
    }

    /// The Delete Token call, made like [`PageData::add`].
    pub fn delete(&self) -> ServerAction<DeleteToken> {
        self.action(self.delete, "delete", notice::token_deleted)
    }

    /// The Rotate token call, made like [`PageData::add`].
    pub fn rotate(&self) -> ServerAction<RotateToken> {
        self.action(self.rotate, "rotate", notice::token_rotated)
    }

    /// The SSO drawer's Check again call, made like [`PageData::add`].
    pub fn check(&self) -> ServerAction<CheckToken> {
        self.action(self.check, "sso", notice::token_checked)
    }

    fn action<S>(
        &self,
        slot: StoredValue<Option<ServerAction<S>>>,
        kind: &'static str,
        text: fn(&S::Output) -> String,
    ) -> ServerAction<S>
    where
        S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
        S::Output: Clone + Send + Sync + 'static,
        S::Error: Clone + Send + Sync + 'static,
    {
        if let Some(action) = slot.get_value() {
            return action;
        }
        let data = *self;
        let make = move || {
            let action = ServerAction::<S>::new();
            drawer_done(data, action, kind, text);
            action
        };
        let action = match self.owner.get_value().upgrade() {
            Some(owner) => owner.with(make),
            None => make(),
        };
        slot.set_value(Some(action));
        action
    }

    /// After a change: the notice for `path`, and fresh data everywhere.
    pub fn done(&self, text: String, path: &str) {
        self.notice.set(Some(Notice {
            flash: Flash {
                error: false,
                text,
                in_form: false,
            },
            path: path.to_string(),
        }));
        self.changed.update(|v| *v += 1);
    }

    /// The notice the server kept for this page view; none once the browser has navigated.
    fn server_flash(&self) -> Option<Flash> {
        if self.navigated.get() {
            return None;
        }
        self.flash.get().and_then(|f| f.ok().flatten())
    }

    /// The error of a refused form on this page view: from the session after a plain post.
    pub fn form_error(&self) -> Option<String> {
        self.server_flash()
            .filter(|f| f.error && f.in_form)
            .map(|f| f.text)
    }
}

#[component]
pub fn Layout() -> impl IntoView {
    let changed = RwSignal::new(0usize);
    let navigated = RwSignal::new(false);
    let events = RwSignal::new(0usize);
    let me = Resource::new(move || changed.get(), |_| get_me());
    let tokens = Resource::new(move || changed.get(), |_| list_tokens());
    let flash = Resource::new(|| (), |_| take_flash());
    let activity = Resource::new(move || (changed.get(), events.get()), |_| recent_activity());
    let data = PageData {
        me,
        tokens,
        activity,
        flash,
        changed,
        events,
        hidden: RwSignal::new(HashMap::new()),
        notice: RwSignal::new(None),
        return_focus: RwSignal::new(None),
        navigated,
        add: StoredValue::new(None),
        delete: StoredValue::new(None),
        rotate: StoredValue::new(None),
        check: StoredValue::new(None),
        owner: StoredValue::new(Owner::current().expect("a reactive owner").downgrade()),
    };
    provide_context(data);
    // Hide notifications, also owned here: a flip still pending when the list is left settles.
    provide_context(crate::pages::tokens::Switch::new(data));

    // A notice belongs to the page it was made for; the server's, to the first page view.
    let location = use_location();
    Effect::watch(
        move || location.pathname.get(),
        move |path, _, _| {
            navigated.set(true);
            if data
                .notice
                .with_untracked(|n| n.as_ref().is_some_and(|n| n.path != *path))
            {
                data.notice.set(None);
            }
        },
        false,
    );
    // Fresh rows carry the server's switches: the local ones are no longer needed.
    Effect::new(move |seen: Option<()>| {
        tokens.track();
        if seen.is_some() {
            data.hidden.set(HashMap::new());
        }
    });
    let tools = RenderOnce::new();
    let shown = move || {
        data.notice
            .get()
            .map(|n| n.flash)
            .or_else(|| data.server_flash())
            .filter(|f| !f.in_form)
    };

    view! {
        <header class="toolbar">
            <a class="brand" href="/git-personal-access-tokens">
                <img src="/favicon.svg" alt="" width="24" height="24"/>
                <span>"gitpat"</span>
            </a>
            <Transition fallback=|| ()>
                {move || {
                    // The bell in the toolbar counts the rows: it is made (once, on the server)
                    // only when they are loaded too.
                    data.tokens.read().as_ref()?;
                    me.read().as_ref().map(|r| match r {
                        Ok(user) => Either::Left(tools.view(|| view! { <UserTools user=user.clone()/> })),
                        Err(_) => Either::Right(view! { <a class="button" href="/login" rel="external">"Sign in"</a> }),
                    })
                }}
            </Transition>
        </header>
        <Transition fallback=|| ()>
            {move || {
                shown().map(|f| {
                    let (class, role) = if f.error {
                        ("flash alert error", "alert")
                    } else {
                        ("flash alert success", "status")
                    };
                    view! { <p class=class role=role>{f.text}</p> }
                })
            }}
        </Transition>
        <Outlet/>
    }
}

/// A drawer's call succeeded: the notice and fresh rows for the list; if its drawer is still
/// open, it closes, and focus goes back to the row's button once the rows are rendered again.
fn drawer_done<S>(
    data: PageData,
    action: ServerAction<S>,
    kind: &'static str,
    text: fn(&S::Output) -> String,
) where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    let location = use_location();
    let navigate = use_navigate();
    on_success(action, move |done| {
        let path = location.pathname.get_untracked();
        let open = path
            .strip_prefix(&format!("{LIST}/"))
            .and_then(|rest| rest.strip_suffix(&format!("/{kind}")))
            .map(str::to_string);
        data.done(text(done), LIST);
        if let Some(id) = open {
            data.return_focus
                .set(Some(crate::components::drawer::row_button_id(kind, id)));
            navigate(LIST, Default::default());
        }
    });
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
            // The accessible name starts with the visible initials (WCAG 2.5.3, label in name).
            <MenuButton label=format!("{initials} Account menu") menu_id="avatar-menu" button_class="avatar" face=initials>
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
/// menu linking to each one's Add Token form. Rendered inside the toolbar's Transition, which
/// waits for the rows too: a boundary of its own there would be created at a different moment on
/// the server and in the browser and shift every hydration id after it (docs/spa.md).
#[component]
fn NotificationsBell() -> impl IntoView {
    let data = use_page_data();
    view! {
            {move || {
                let rows: Vec<TokenRow> = match data.rows() {
                    Some(Ok(rows)) => rows.into_iter().filter(TokenRow::notifies).collect(),
                    _ => Vec::new(),
                };
                let count = rows.len();
                let items = if rows.is_empty() {
                    Either::Left(view! { <li role="none" class="menu-empty">"No notifications"</li> })
                } else {
                    Either::Right(rows.into_iter()
                        .map(|r| {
                            // A token waiting for single sign-on needs authorizing, not replacing.
                            let href = format!(
                                "/git-personal-access-tokens/{}/{}",
                                r.runtime.id,
                                if r.status == TokenStatus::NeedsSso { "sso" } else { "add" }
                            );
                            view! {
                                <li role="none">
                                    <a role="menuitem" href=href>
                                        <span>{r.runtime.name.clone()}</span>
                                        <span class=format!("status status-{}", r.status.as_str())>{r.status.label()}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view())
                };
                view! {
                    <MenuButton
                        label=format!("Notifications: {count}")
                        menu_id="notifications-menu"
                        button_class="bell"
                        face=view! {
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
    }
}
