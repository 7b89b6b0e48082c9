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
    let button_id = format!("{menu_id}-button");
    view! {
        <MenuBehaviour>
            <button
                type="button"
                id=button_id.clone()
                class=button_class
                aria-label=label
                aria-haspopup="menu"
                aria-controls=menu_id.clone()
                aria-expanded="false"
            >
                {face.run()}
            </button>
            <ul role="menu" id=menu_id class="menu" aria-labelledby=button_id>
                {children()}
            </ul>
        </MenuBehaviour>
    }
}

fn node(target: Option<web_sys::EventTarget>) -> Option<web_sys::Node> {
    target.and_then(|t| t.dyn_into::<web_sys::Node>().ok())
}

/// The menu's behaviour, the one part shipped to the browser: the button and list are rendered
/// on the server (as `children`) and found here in the wrapper, whose events they bubble to.
#[island]
fn MenuBehaviour(children: Children) -> impl IntoView {
    let open = RwSignal::new(false);
    let wrap = NodeRef::<html::Div>::new();
    let button = move || {
        wrap.get_untracked()
            .and_then(|w| w.query_selector("[aria-haspopup=menu]").ok().flatten())
    };
    let menu = move || {
        wrap.get_untracked()
            .and_then(|w| w.query_selector("[role=menu]").ok().flatten())
    };
    Effect::new(move |_| {
        let expanded = open.get().to_string();
        if let Some(b) = button() {
            let _ = b.set_attribute("aria-expanded", &expanded);
        }
    });

    let open_and_focus = move |last: bool| {
        open.set(true);
        // Shown now rather than when the signal's effect runs, so focus moves at once and the
        // very next key (End, say) already reaches the menu.
        if let Some(w) = wrap.get_untracked() {
            let _ = w.class_list().add_1("open");
        }
        if let Some(m) = menu() {
            focus_item(&m, |_, n| if last { n - 1 } else { 0 });
        }
    };
    let close = move |refocus: bool| {
        open.set(false);
        if refocus {
            if let Some(b) = button().and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = b.focus();
            }
        }
    };
    let within = move |el: Option<web_sys::Element>, target: &Option<web_sys::Node>| {
        el.is_some_and(|e| e.contains(target.as_ref()))
    };

    let on_click = move |ev: web_sys::MouseEvent| {
        if within(button(), &node(ev.target())) {
            open.update(|o| *o = !*o);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let target = node(ev.target());
        if within(button(), &target) {
            match ev.key().as_str() {
                "ArrowDown" | "Enter" | " " => {
                    ev.prevent_default();
                    open_and_focus(false);
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    open_and_focus(true);
                }
                _ => {}
            }
            return;
        }
        let Some(m) = menu().filter(|m| m.contains(target.as_ref())) else {
            return;
        };
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                focus_item(&m, |cur, _| cur.map_or(0, |c| c + 1));
            }
            "ArrowUp" => {
                ev.prevent_default();
                focus_item(&m, |cur, n| cur.map_or(n - 1, |c| c + n - 1));
            }
            "Home" => {
                ev.prevent_default();
                focus_item(&m, |_, _| 0);
            }
            "End" => {
                ev.prevent_default();
                focus_item(&m, |_, n| n - 1);
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
        let next = node(ev.related_target());
        if !within(wrap.get_untracked().map(Into::into), &next) {
            open.set(false);
        }
    };

    view! {
        <div
            class="menu-wrap"
            class:open=move || open.get()
            node_ref=wrap
            on:click=on_click
            on:keydown=on_key
            on:focusout=on_focus_out
        >
            {children()}
        </div>
    }
}
