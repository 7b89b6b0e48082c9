//! A menu button (WAI-ARIA menu-button pattern): a button that opens a `role=menu` list,
//! operable by mouse and keyboard. Without JavaScript the list opens on focus (CSS fallback).

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

const ITEM_SELECTOR: &str = "[role=menuitem], [role=menuitemcheckbox]";

fn menu_items(menu: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = menu.query_selector_all(ITEM_SELECTOR) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// Moves focus to the item at `pick(current index, count)`.
fn focus_item(menu: &web_sys::Element, pick: impl Fn(Option<usize>, usize) -> usize) {
    let items = menu_items(menu);
    if items.is_empty() {
        return;
    }
    let active = menu
        .owner_document()
        .and_then(|d| d.active_element())
        .and_then(|a| {
            items
                .iter()
                .position(|i| *i == *a.unchecked_ref::<web_sys::HtmlElement>())
        });
    let _ = items[pick(active, items.len()) % items.len()].focus();
}

#[component]
pub fn MenuButton(
    /// Accessible name of the button, e.g. "Account menu".
    #[prop(into)]
    label: String,
    /// DOM id of the menu list (for aria-controls).
    #[prop(into)]
    menu_id: String,
    #[prop(into, optional)] button_class: String,
    /// What the button shows (initials, an icon).
    #[prop(into)]
    face: ViewFnOnce,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let button_ref = NodeRef::<html::Button>::new();
    let menu_ref = NodeRef::<html::Ul>::new();

    let open_and_focus = move |last: bool| {
        open.set(true);
        // Focus after the menu is shown, on the next frame.
        request_animation_frame(move || {
            if let Some(menu) = menu_ref.get_untracked() {
                focus_item(&menu, |_, n| if last { n - 1 } else { 0 });
            }
        });
    };
    let close = move |refocus: bool| {
        open.set(false);
        if refocus {
            if let Some(b) = button_ref.get_untracked() {
                let _ = b.focus();
            }
        }
    };

    let on_button_key = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "Enter" | " " => {
            ev.prevent_default();
            open_and_focus(false);
        }
        "ArrowUp" => {
            ev.prevent_default();
            open_and_focus(true);
        }
        _ => {}
    };
    let on_menu_key = move |ev: web_sys::KeyboardEvent| {
        let Some(menu) = menu_ref.get_untracked() else {
            return;
        };
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                focus_item(&menu, |cur, _| cur.map_or(0, |c| c + 1));
            }
            "ArrowUp" => {
                ev.prevent_default();
                focus_item(&menu, |cur, n| cur.map_or(n - 1, |c| c + n - 1));
            }
            "Home" => {
                ev.prevent_default();
                focus_item(&menu, |_, _| 0);
            }
            "End" => {
                ev.prevent_default();
                focus_item(&menu, |_, n| n - 1);
            }
            "Escape" => {
                ev.prevent_default();
                close(true);
            }
            "Tab" => close(false),
            _ => {}
        }
    };
    // Closes when focus leaves the whole widget (a click elsewhere, Tab away).
    let on_focus_out = move |ev: web_sys::FocusEvent| {
        let target = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        let next = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        if let (Some(wrap), next) = (target, next) {
            if !next.is_some_and(|n| wrap.contains(Some(&n))) {
                open.set(false);
            }
        }
    };

    let button_id = format!("{menu_id}-button");
    view! {
        <div class="menu-wrap" class:open=move || open.get() on:focusout=on_focus_out>
            <button
                type="button"
                id=button_id.clone()
                class=button_class
                aria-label=label
                aria-haspopup="menu"
                aria-controls=menu_id.clone()
                aria-expanded=move || open.get().to_string()
                node_ref=button_ref
                on:click=move |_| open.update(|o| *o = !*o)
                on:keydown=on_button_key
            >
                {face.run()}
            </button>
            <ul
                role="menu"
                id=menu_id
                class="menu"
                aria-labelledby=button_id
                node_ref=menu_ref
                on:keydown=on_menu_key
            >
                {children()}
            </ul>
        </div>
    }
}
