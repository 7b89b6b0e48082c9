//! Menu buttons (WAI-ARIA menu-button pattern): a button that opens a `role=menu` list, operable
//! by mouse and keyboard. Every menu is plain markup; one component, [`MenuKeys`], drives them
//! all by event delegation on the document, so the fifty row menus of a page (and rows rendered
//! later, in place) need no handlers of their own. Without JavaScript a list opens on focus (CSS).

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// Typed, not boxed (`Children`, `ViewFnOnce`): a boxed view costs every row an `AnyView` on the
/// server and its own render and hydrate code in the WASM.
#[component]
pub fn MenuButton<F, C>(
    /// Accessible name of the button, e.g. "Account menu".
    #[prop(into)]
    label: String,
    /// DOM id of the menu list (for aria-controls).
    #[prop(into)]
    menu_id: String,
    #[prop(into, optional)] button_class: String,
    /// What the button shows (initials, an icon).
    face: F,
    children: TypedChildren<C>,
) -> impl IntoView
where
    F: IntoView + 'static,
    C: IntoView + 'static,
{
    let button_id = format!("{menu_id}-button");
    view! {
        <div class="menu-wrap">
            <button
                type="button"
                id=button_id.clone()
                class=button_class
                aria-label=label
                aria-haspopup="menu"
                aria-controls=menu_id.clone()
                aria-expanded="false"
            >
                {face}
            </button>
            <ul role="menu" id=menu_id class="menu" aria-labelledby=button_id>
                {children.into_inner()()}
            </ul>
        </div>
    }
}

const ITEM_SELECTOR: &str = "[role=menuitem], [role=menuitemcheckbox]";

fn menu_items(menu: &Element) -> Vec<HtmlElement> {
    let Ok(list) = menu.query_selector_all(ITEM_SELECTOR) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect()
}

/// Moves focus to the item at `pick(current index, count)`.
fn focus_item(menu: &Element, pick: impl Fn(Option<usize>, usize) -> usize) {
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
                .position(|i| *i == *a.unchecked_ref::<HtmlElement>())
        });
    let _ = items[pick(active, items.len()) % items.len()].focus();
}

/// A menu widget as found from an event: its wrapper, button and list.
struct Menu {
    wrap: Element,
    button: Element,
    list: Element,
}

impl Menu {
    /// The menu the event target is part of, if any.
    fn around(target: Option<web_sys::EventTarget>) -> Option<(Menu, Element)> {
        let target = target?.dyn_into::<Element>().ok()?;
        let wrap = target.closest(".menu-wrap").ok()??;
        let button = wrap.query_selector("[aria-haspopup=menu]").ok()??;
        let list = wrap.query_selector("[role=menu]").ok()??;
        Some((Menu { wrap, button, list }, target))
    }

    fn is_open(&self) -> bool {
        self.wrap.class_list().contains("open")
    }

    fn set_open(&self, open: bool) {
        let classes = self.wrap.class_list();
        let _ = if open {
            classes.add_1("open")
        } else {
            classes.remove_1("open")
        };
        let _ = self
            .button
            .set_attribute("aria-expanded", if open { "true" } else { "false" });
    }

    /// Shown and focused in the same keydown, so the very next key (End, say) reaches the menu.
    fn open_and_focus(&self, last: bool) {
        self.set_open(true);
        focus_item(&self.list, |_, n| if last { n - 1 } else { 0 });
    }

    fn close(&self, refocus: bool) {
        self.set_open(false);
        if refocus {
            if let Some(b) = self.button.dyn_ref::<HtmlElement>() {
                let _ = b.focus();
            }
        }
    }
}

fn on_click(ev: web_sys::MouseEvent) {
    if let Some((menu, target)) = Menu::around(ev.target()) {
        if menu.button.contains(Some(&target)) {
            menu.set_open(!menu.is_open());
        } else if menu.list.contains(Some(&target))
            && target.closest(ITEM_SELECTOR).ok().flatten().is_some()
        {
            // An item was chosen: the page navigates in place or changes, the menu is done.
            menu.close(true);
        }
    }
}

fn on_key(ev: web_sys::KeyboardEvent) {
    let Some((menu, target)) = Menu::around(ev.target()) else {
        return;
    };
    let key = ev.key();
    if menu.button.contains(Some(&target)) {
        match key.as_str() {
            "ArrowDown" | "Enter" | " " => {
                ev.prevent_default();
                menu.open_and_focus(false);
            }
            "ArrowUp" => {
                ev.prevent_default();
                menu.open_and_focus(true);
            }
            // Opened with the mouse, focus stays on the button: Escape still closes the menu
            // (and a drawer behind it stays open).
            "Escape" if menu.is_open() => {
                ev.prevent_default();
                menu.close(true);
            }
            _ => {}
        }
        return;
    }
    if !menu.list.contains(Some(&target)) {
        return;
    }
    let list = &menu.list;
    match key.as_str() {
        "ArrowDown" => focus_item(list, |cur, _| cur.map_or(0, |c| c + 1)),
        "ArrowUp" => focus_item(list, |cur, n| cur.map_or(n - 1, |c| c + n - 1)),
        "Home" => focus_item(list, |_, _| 0),
        "End" => focus_item(list, |_, n| n - 1),
        // Default prevented: a drawer's Escape (`EscapeGoesTo`) leaves it alone.
        "Escape" => menu.close(true),
        "Tab" => {
            menu.close(false);
            return;
        }
        _ => return,
    }
    ev.prevent_default();
}

/// Closes a menu when focus leaves the whole widget (a click elsewhere, Tab away).
fn on_focus_out(ev: web_sys::FocusEvent) {
    if let Some((menu, _)) = Menu::around(ev.target()) {
        let next = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
        if !menu.wrap.contains(next.as_ref()) {
            menu.set_open(false);
        }
    }
}

fn listen<E: JsCast + 'static>(name: &str, handler: fn(E)) {
    let cb = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        if let Ok(ev) = ev.dyn_into::<E>() {
            handler(ev);
        }
    });
    // On the document, not the window: it sees a key before a drawer's window listener does.
    let _ = document().add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
    // Listens as long as the app lives: it is mounted once, and navigation happens in place.
    cb.forget();
}

/// The behaviour of every menu of the app, mounted once beside the router.
#[component]
pub fn MenuKeys() -> impl IntoView {
    Effect::new(|_| {
        listen("click", on_click);
        listen("keydown", on_key);
        listen("focusout", on_focus_out);
    });
}
