//! The evaluation machinery (seed steps 2–5 and 7): what an evaluator needs (`context`), the
//! worker protocol and process, the executors (process, thread, serial), dispatch of batches
//! with crash isolation, what a person sees while it works (`progress`), signal handling, the
//! workspace lock and fault injection for tests. `search` drives it for `specsearch run`.

pub mod context;
pub mod dispatch;
pub mod executor;
pub mod faults;
pub mod lock;
pub mod process;
pub mod progress;
pub mod protocol;
pub mod signals;
pub mod watchdog;
pub mod worker;
