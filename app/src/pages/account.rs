//! Change password: the current password, the new one twice. Works without JavaScript too.

use crate::api::ChangePassword;
use crate::components::drawer::LIST;
use crate::components::layout::use_page_data;
use crate::components::{form_error, on_success};
use crate::model::notice;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

crate::components::lazy_page! {
    /// Change password as a lazy route: its code is fetched when the page is first visited.
    ChangePasswordRoute => ChangePasswordPage
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    // In the browser the form is sent in place; without JavaScript it posts and redirects (to
    // the token page with a notice, or back here with the error).
    let change = ServerAction::<ChangePassword>::new();
    let data = use_page_data();
    let navigate = use_navigate();
    on_success(change, move |_| {
        data.done(notice::PASSWORD_CHANGED.into(), LIST);
        navigate(LIST, Default::default());
    });
    let error = form_error(change);
    let pending = change.pending();
    let min = crate::model::MIN_PASSWORD_LEN.to_string();
    view! {
        <Title text="Change password"/>
        <main class="page narrow">
            <div class="page-head">
                <h1>"Change password"</h1>
                <p class="muted">"Changing your password signs you out of every other session."</p>
            </div>
            <Transition fallback=|| ()>
                {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
            </Transition>
            <ActionForm action=change attr:class="card">
                <label for="current_password">"Current password"</label>
                <input id="current_password" name="current_password" type="password" autocomplete="current-password" required/>
                <label for="new_password">"New password"</label>
                <input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength=min.clone()/>
                <p class="hint">{format!("At least {min} characters.")}</p>
                <label for="confirm_password">"Confirm new password"</label>
                <input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" required/>
                <div class="form-actions">
                    <button class="primary" type="submit" disabled=move || pending.get()>"Change password"</button>
                </div>
            </ActionForm>
        </main>
    }
}
