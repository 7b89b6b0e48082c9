//! The sign-in page. A plain HTML form posting to `/login`, so it works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The one message for every failed sign-in: it must not reveal whether the email exists.
pub const LOGIN_FAILED: &str = "Incorrect email or password.";
pub const LOGIN_THROTTLED: &str = "Too many sign-in attempts. Wait a minute and try again.";

crate::components::lazy_page! {
    /// Sign-in as a lazy route: the token page's first load does not carry its code.
    LoginRoute => LoginPage
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| crate::model::is_local_path(n))
            .unwrap_or_default()
    };
    let error = move || match query.read().get("error").as_deref() {
        Some("throttled") => Some(LOGIN_THROTTLED),
        Some(_) => Some(LOGIN_FAILED),
        None => None,
    };
    let email = move || query.read().get("email").unwrap_or_default();
    view! {
        <Title text="Sign in"/>
        <main class="login-page">
            <form class="card login-card" method="post" action="/login">
                <div class="brand big">
                    <img src="/favicon.svg" alt="" width="40" height="40"/>
                    <span>"gitpat"</span>
                </div>
                <h1>"Sign in"</h1>
                <p class="muted">"Manage the Git user tokens of your GitOps Runtimes."</p>
                {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
                <input type="hidden" name="next" value=next/>
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required value=email/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button class="primary" type="submit">"Sign in"</button>
            </form>
        </main>
    }
}
