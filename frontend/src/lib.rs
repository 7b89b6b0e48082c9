//! The browser entry: hydrates the server-rendered app, which then routes and updates in place.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console while developing; the release build leaves the hook's code out.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // Waits for the WASM chunk of a lazy route (sign-in, Admin, Change password, a drawer) when the page is one.
    leptos::mount::hydrate_lazy(app::App);
}
