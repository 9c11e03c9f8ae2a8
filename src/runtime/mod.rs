//! The evaluation machinery (docs/architecture.md, seed steps 2–5, 7 and 8): what an evaluator
//! needs (`context`), the worker protocol and process, the executors (process — a warm pool across
//! segments —, thread, serial), the coordinator's `screen` (hybrid scheduling), dispatch of batches
//! with crash isolation, what a person sees while it works (`progress`), signal handling, the
//! workspace lock and fault injection for tests. `search` drives it for `specsearch run`.

pub mod context;
pub mod dispatch;
pub mod executor;
pub mod faults;
pub mod lock;
pub mod pool;
pub mod process;
pub mod progress;
pub mod protocol;
pub mod screen;
pub mod signals;
pub mod watchdog;
pub mod worker;
