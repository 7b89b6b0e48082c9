//! `SyncHtml`: renders a view that holds no Suspense or Transition synchronously on the server,
//! also when it sits inside one. A boundary renders its children through tachys' async path,
//! which builds a future per element; for the fifty rows of the token table that was most of the
//! page's server cost (docs/performance.md). The HTML and its hydration markers are the same either
//! way (the async path exists only to find nested boundaries), and in the browser this is a
//! plain wrapper. Never put a Suspense, Transition or a resource read that must be awaited inside.

use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

pub struct SyncHtml<V>(pub V);

impl<V: Render> Render for SyncHtml<V> {
    type State = V::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state)
    }
}

impl<V> AddAnyAttr for SyncHtml<V>
where
    V: RenderHtml,
{
    // Attributes are never spread onto it; it passes nothing on.
    type Output<SomeNewAttr: Attribute> = Self;

    fn add_any_attr<NewAttr: Attribute>(self, _attr: NewAttr) -> Self::Output<NewAttr> {
        self
    }
}

impl<V: RenderHtml> RenderHtml for SyncHtml<V> {
    type AsyncOutput = SyncHtml<V::AsyncOutput>;
    type Owned = SyncHtml<V::Owned>;

    const MIN_LENGTH: usize = V::MIN_LENGTH;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve()
    }

    async fn resolve(self) -> Self::AsyncOutput {
        SyncHtml(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
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

    // `to_html_async_with_buf` keeps the trait's default: the synchronous rendering above.

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    fn hydrate_async(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> impl std::future::Future<Output = Self::State> {
        self.0.hydrate_async(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        SyncHtml(self.0.into_owned())
    }
}
