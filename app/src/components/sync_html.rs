//! `sync_html(view)`: a view that holds no Suspense, Transition or awaited resource, rendered in
//! one synchronous pass on the server and hydrated in one synchronous pass in the browser, also
//! when it sits inside a boundary.
//!
//! A boundary handles its children through tachys' async path: on the server it moves the whole
//! view into an `AnyView` (`into_owned`), walks it once to start resources (`dry_resolve`) and once
//! more to build a future per element (`resolve`) before it writes any HTML; in the browser every
//! element gets an async hydrate step. For the fifty rows of the token table that was most of the
//! page's server cost and much of the WASM (docs/performance.md). So on the server the view is
//! written to HTML when it is made — the same HTML and hydration markers tachys would write later,
//! since nothing inside waits — and in the browser it hydrates with the synchronous code.
//!
//! The view must start with an element (not text): it is written before its position in the
//! page is known, and only a text node right after another text node needs a marker.

use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

/// On the server, the view's HTML and the position it leaves for what follows; in the browser,
/// the view.
pub struct SyncHtml<V>(V);

#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct Written {
    html: String,
    end: Position,
}

#[cfg(feature = "ssr")]
pub fn sync_html<V: RenderHtml>(view: V) -> SyncHtml<Written> {
    let mut html = String::with_capacity(view.html_len());
    let mut end = Position::FirstChild;
    view.to_html_with_buf(&mut html, &mut end, true, false, Vec::new());
    SyncHtml(Written { html, end })
}

#[cfg(not(feature = "ssr"))]
pub fn sync_html<V: RenderHtml>(view: V) -> SyncHtml<V> {
    SyncHtml(view)
}

/// `sync_html` for the view a boundary's children closure makes from loaded data. On the server
/// a boundary calls that closure up to three times for one page (`dry_resolve` twice to find
/// the resources read, then `resolve`), and loaded data no longer changes there: the first
/// rendering is kept and written again. In the browser the closure runs again only when its
/// data changed, and the view is made each time. So every resource the view reads must be
/// loaded before it is first asked for: the closure reads them first and returns nothing until
/// they are.
#[derive(Clone, Copy)]
pub struct RenderOnce {
    #[cfg(feature = "ssr")]
    written: leptos::prelude::StoredValue<Option<Written>>,
}

impl RenderOnce {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        RenderOnce {
            #[cfg(feature = "ssr")]
            written: leptos::prelude::StoredValue::new(None),
        }
    }

    #[cfg(feature = "ssr")]
    pub fn view<V: RenderHtml>(self, make: impl FnOnce() -> V) -> SyncHtml<Written> {
        use leptos::prelude::{GetValue, SetValue};
        if let Some(written) = self.written.get_value() {
            return SyncHtml(written);
        }
        let view = sync_html(make());
        self.written.set_value(Some(view.0.clone()));
        view
    }

    #[cfg(not(feature = "ssr"))]
    pub fn view<V: RenderHtml>(self, make: impl FnOnce() -> V) -> SyncHtml<V> {
        sync_html(make())
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;

    // Only ever rendered to HTML: the server never builds DOM.
    impl Render for SyncHtml<Written> {
        type State = ();

        fn build(self) -> Self::State {}

        fn rebuild(self, _state: &mut Self::State) {}
    }

    impl AddAnyAttr for SyncHtml<Written> {
        type Output<SomeNewAttr: Attribute> = Self;

        fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr> {
            self
        }
    }

    impl RenderHtml for SyncHtml<Written> {
        type AsyncOutput = Self;
        type Owned = Self;

        const MIN_LENGTH: usize = 0;

        fn dry_resolve(&mut self) {}

        async fn resolve(self) -> Self::AsyncOutput {
            self
        }

        fn html_len(&self) -> usize {
            self.0.html.len()
        }

        fn to_html_with_buf(
            self,
            buf: &mut String,
            position: &mut Position,
            _escape: bool,
            _mark_branches: bool,
            _extra_attrs: Vec<AnyAttribute>,
        ) {
            buf.push_str(&self.0.html);
            *position = self.0.end;
        }

        fn hydrate<const FROM_SERVER: bool>(
            self,
            _cursor: &Cursor,
            _position: &PositionState,
        ) -> Self::State {
        }

        fn into_owned(self) -> Self::Owned {
            self
        }
    }
}

#[cfg(not(feature = "ssr"))]
mod browser {
    use super::*;

    impl<V: Render> Render for SyncHtml<V> {
        type State = V::State;

        fn build(self) -> Self::State {
            self.0.build()
        }

        fn rebuild(self, state: &mut Self::State) {
            self.0.rebuild(state)
        }
    }

    impl<V: RenderHtml> AddAnyAttr for SyncHtml<V> {
        // Attributes are never spread onto it; it passes nothing on.
        type Output<SomeNewAttr: Attribute> = Self;

        fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr> {
            self
        }
    }

    impl<V: RenderHtml> RenderHtml for SyncHtml<V> {
        type AsyncOutput = Self;
        type Owned = SyncHtml<V::Owned>;

        const MIN_LENGTH: usize = V::MIN_LENGTH;

        fn dry_resolve(&mut self) {}

        async fn resolve(self) -> Self::AsyncOutput {
            self
        }

        fn to_html_with_buf(
            self,
            buf: &mut String,
            position: &mut Position,
            escape: bool,
            mark_branches: bool,
            extra_attrs: Vec<AnyAttribute>,
        ) {
            self.0
                .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
        }

        fn hydrate<const FROM_SERVER: bool>(
            self,
            cursor: &Cursor,
            position: &PositionState,
        ) -> Self::State {
            self.0.hydrate::<FROM_SERVER>(cursor, position)
        }

        // Nothing inside waits: the synchronous hydration, not a future per element.
        async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
            self.0.hydrate::<true>(cursor, position)
        }

        fn into_owned(self) -> Self::Owned {
            SyncHtml(self.0.into_owned())
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos::prelude::*;
    use std::cell::Cell;

    // Text next to text, an absent and a present option, a reactive closure, nested elements:
    // everything whose markers depend on the position it is written at.
    fn row(name: &'static str) -> impl IntoView {
        let hidden = RwSignal::new(true);
        view! {
            <tr data-name=name>
                <th>{name}{" "}{"runtime"}</th>
                <td>{None::<&str>}{Some("b")}</td>
                <td>{move || hidden.get().then_some("hidden")}</td>
            </tr>
        }
    }

    #[test]
    fn writes_what_tachys_writes_in_place() {
        Owner::new().with(|| {
            let plain = view! { <tbody>{row("one")}{row("two")}</tbody> }.to_html();
            let written =
                view! { <tbody>{sync_html(vec![row("one"), row("two")])}</tbody> }.to_html();
            assert_eq!(written, plain);
            // Text that follows gets the marker it needs after the view's own last text.
            let inner = || view! { <b>"x"</b>{"t"} };
            let plain = view! { <p>{inner()}{"b"}</p> }.to_html();
            let written = view! { <p>{sync_html(inner())}{"b"}</p> }.to_html();
            assert!(plain.contains("t<!>b"), "{plain}");
            assert_eq!(written, plain);
        });
    }

    #[test]
    fn render_once_makes_the_view_once_on_the_server() {
        Owner::new().with(|| {
            let once = RenderOnce::new();
            let made = Cell::new(0);
            let make = |text: &'static str| {
                made.set(made.get() + 1);
                view! { <p>{text}</p> }
            };
            let first = once.view(|| make("first")).to_html();
            let again = once.view(|| make("second")).to_html();
            assert_eq!(made.get(), 1);
            assert!(first.starts_with("<p>first"), "{first}");
            assert_eq!(again, first);
        });
    }
}
