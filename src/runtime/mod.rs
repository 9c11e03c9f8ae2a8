//! The search runtime (seed steps 2–5 and 7): the coordinator, the worker protocol, the
//! executors (process, thread, serial), signal handling, the workspace lock and fault
//! injection for tests.

pub mod context;
pub mod coordinator;
pub mod dispatch;
pub mod executor;
pub mod faults;
pub mod lock;
pub mod protocol;
pub mod shard;
pub mod signals;
pub mod worker;

pub use coordinator::{run, RunOptions, RunSummary};
