//! The browser entry: hydrates the islands (the interactive parts) of the server-rendered page.

// Links the app crate: its islands are exported from it.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
