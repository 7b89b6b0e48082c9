//! A drawer over the token list, following the WAI-ARIA dialog pattern: focus moves into it when
//! it opens, Tab and Shift+Tab stay inside, Escape closes it (unless a menu took the key), and
//! focus goes back to the button that opened it. It is a route of its own, so its URL works as a
//! deep link and without JavaScript (Cancel is a link back to the list).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

pub const LIST: &str = "/git-personal-access-tokens";

/// The DOM id of a row's button that opens a drawer (`kind`: "add", "delete" or "rotate"), written once
/// for the rows, the drawers and the focus they give back.
pub fn row_button_id(kind: &str, runtime: impl std::fmt::Display) -> String {
    format!("{kind}-token-{runtime}")
}

const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, summary, [tabindex]:not([tabindex='-1'])";

#[component]
pub fn Drawer(
    title: &'static str,
    /// DOM id of the row's button that opens this drawer, to return focus to.
    #[prop(into)]
    opener: String,
    children: Children,
) -> impl IntoView {
    let section = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        if let Some(el) = section.get() {
            let _ = el.focus();
        }
    });
    let navigate = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| match ev.key().as_str() {
        "Escape" if !ev.default_prevented() => {
            ev.prevent_default();
            navigate(LIST, Default::default());
        }
        "Tab" => {
            if let Some(el) = section.get_untracked() {
                keep_focus_inside(&el, &ev);
            }
        }
        _ => {}
    });
    on_cleanup(move || {
        keys.remove();
        if cfg!(feature = "hydrate") {
            focus_by_id(&opener);
        }
    });
    view! {
        <Title text=title/>
        <div class="drawer-backdrop">
            <section class="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title" tabindex="-1" node_ref=section>
                <h2 id="drawer-title">{title}</h2>
                {children()}
            </section>
        </div>
    }
}

/// Moves focus to the row button with this id; to the row's Add Token when a deleted token's
/// Delete Token button is gone. Whether it was found.
pub fn focus_by_id(id: &str) -> bool {
    use wasm_bindgen::JsCast;
    let doc = document();
    let el = doc
        .get_element_by_id(id)
        .or_else(|| {
            id.strip_prefix("delete-token-")
                .and_then(|rt| doc.get_element_by_id(&row_button_id("add", rt)))
        })
        // Rotate is opened from the row's menu, which is closed by then: back to its button.
        .or_else(|| {
            id.strip_prefix("rotate-token-")
                .and_then(|rt| doc.get_element_by_id(&format!("row-menu-{rt}-button")))
        });
    match el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(el) => el.focus().is_ok(),
        None => false,
    }
}

/// Tab from the last focusable element goes to the first, Shift+Tab from the first to the last.
fn keep_focus_inside(dialog: &web_sys::HtmlElement, ev: &web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        // Inside a closed <details> only its summary can take focus.
        .filter(|e| e.offset_parent().is_some())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = document().active_element();
    let inside = active
        .as_ref()
        .is_some_and(|a| dialog.contains(Some(a.unchecked_ref())));
    let at = |e: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>())
    };
    let target = if !inside
        || (ev.shift_key()
            && (at(first)
                || active
                    .as_ref()
                    .is_some_and(|a| a == dialog.unchecked_ref::<web_sys::Element>())))
    {
        if ev.shift_key() {
            last
        } else {
            first
        }
    } else if !ev.shift_key() && at(last) {
        first
    } else {
        return;
    };
    ev.prevent_default();
    let _ = target.focus();
}
