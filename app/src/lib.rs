//! gitpat: the isomorphic crate. Routes, pages, components, shared types and server functions;
//! server-only code lives in `ssr`, compiled only with the `ssr` feature.

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    ssr::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet id="leptos" options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|t: String| if t.is_empty() { "gitpat".to_string() } else { format!("{t} · gitpat") }/>
        <div class="app" data-hydrated="false">
            <Router>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/login") view={Lazy::<pages::login::LoginRoute>::new()} ssr=SsrMode::Async/>
                    <ParentRoute path=path!("") view=components::layout::Layout ssr=SsrMode::Async>
                        <Route path=path!("/") view=|| view! { <Redirect path="/git-personal-access-tokens"/> }/>
                        // Lazy: their code is a WASM chunk of its own, fetched when first visited (the drawers too).
                        <Route path=path!("/admin") view={Lazy::<pages::admin::AdminRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("/account/password") view={Lazy::<pages::account::ChangePasswordRoute>::new()} ssr=SsrMode::Async/>
                        <ParentRoute path=path!("/git-personal-access-tokens") view=pages::tokens::TokensPage ssr=SsrMode::Async>
                            <Route path=path!("") view=|| () ssr=SsrMode::Async/>
                            <Route path=path!("/:id/add") view={Lazy::<pages::drawers::AddTokenRoute>::new()} ssr=SsrMode::Async/>
                            <Route path=path!("/:id/delete") view={Lazy::<pages::drawers::DeleteTokenRoute>::new()} ssr=SsrMode::Async/>
                            <Route path=path!("/:id/rotate") view={Lazy::<pages::drawers::RotateTokenRoute>::new()} ssr=SsrMode::Async/>
                            <Route path=path!("/:id/sso") view={Lazy::<pages::drawers::SsoRoute>::new()} ssr=SsrMode::Async/>
                        </ParentRoute>
                    </ParentRoute>
                </Routes>
            </Router>
            <components::menu::MenuKeys/>
            <components::HydrationMark/>
        </div>
    }
}
