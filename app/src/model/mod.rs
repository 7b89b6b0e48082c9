//! Types shared by the server and the browser. No I/O here, and nothing secret: every type in
//! this module may be serialized to the browser. One file per subject; everything is re-exported
//! here, so callers write `model::TokenRow`.

mod account;
mod admin_area;
mod flash;
mod provider;
mod token;
pub mod when;

pub use account::*;
pub use admin_area::*;
pub use flash::*;
pub use provider::*;
pub use token::*;
