//! Building blocks shared by the pages.

pub mod drawer;
pub mod layout;
pub mod menu;
pub mod sync_html;

use leptos::prelude::*;

/// Declares a lazy route that shows one page component: its code becomes a WASM chunk of its own
/// (`cargo leptos build --split`), fetched the first time the route is visited.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}
pub(crate) use lazy_page;

/// Marks the app root once it has hydrated: the menus switch from their no-JavaScript fallback
/// (CSS) to scripted behaviour, and tests can wait for it.
#[component]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        if let Ok(Some(app)) = document().query_selector(".app") {
            let _ = app.class_list().add_1("hydrated");
            let _ = app.set_attribute("data-hydrated", "true");
        }
    });
}

/// Calls `done` with the answer each time `action` succeeds in the browser (a plain form post
/// is answered by a redirect instead, and never gets here).
pub fn on_success<S>(action: ServerAction<S>, done: impl Fn(&S::Output) + 'static)
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| {
            if let Some(Ok(v)) = action.value().get_untracked() {
                done(&v);
            }
        },
        false,
    );
}

/// The error to show in a form: the browser's last answer, or after a plain form post the one
/// the server kept for this page view. A value the action holds before it was ever sent here
/// came from the URL (`__err`, which any link can set) and is never shown.
pub fn form_error<S>(action: ServerAction<S>) -> impl Fn() -> Option<String> + Copy + Send + Sync
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + std::fmt::Display + 'static,
{
    let data = layout::use_page_data();
    move || {
        if action.version().get() == 0 {
            return data.form_error();
        }
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    }
}
