//! Building blocks shared by the pages. The app renders on the server; the few parts that need
//! the browser are islands (`#[island]`), the only code shipped as WASM.

pub mod layout;
pub mod menu;

use leptos::prelude::*;

/// Marks the app root once the islands before it are live: the menus switch from their
/// no-JavaScript fallback (CSS) to scripted behaviour, and tests can wait for it.
#[island]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        if let Ok(Some(app)) = document().query_selector(".app") {
            let _ = app.class_list().add_1("hydrated");
            let _ = app.set_attribute("data-hydrated", "true");
        }
    });
}

/// Pressing Escape anywhere (unless a menu took it) goes to `href`: how a drawer closes.
#[island]
pub fn EscapeGoesTo(href: String) -> impl IntoView {
    // Lives as long as the page: a drawer is a page of its own.
    let _ = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && !ev.default_prevented() {
            let _ = window().location().set_href(&href);
        }
    });
}
