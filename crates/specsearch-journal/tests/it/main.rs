//! The journal crate's tests, one binary (one link step) with a module per area. They build
//! journals through the crate's handles and read them back through its API; a raw SQLite
//! connection is used only to look at what the API stores.

mod benchmarks;
mod common;
mod guard;
mod prefix;
mod queries;
mod sensitivity;
mod stability;
mod upgrade;
mod user_sql;
mod verify;
mod vocabulary;
mod writer;
