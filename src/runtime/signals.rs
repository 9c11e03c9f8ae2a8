//! SIGINT/SIGTERM handling for the coordinator: the first signal asks for a graceful stop (stop
//! dispatching, drain in-flight work within `run.drain_timeout`, commit, exit resumable); a
//! second one asks to stop now (abandon in-flight batches, kill the workers, commit what is
//! done, close the session: still resumable); a third exits at once (the journal stays
//! consistent: SQLite commits are atomic, and the next `run` closes the session it left open).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};

static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static LAST_SIGNAL: AtomicUsize = AtomicUsize::new(0);
/// A progress line is drawn on stderr (a terminal): the third signal erases it before leaving,
/// so the shell's prompt does not land on a fragment of it.
static BAR_ON_SCREEN: AtomicBool = AtomicBool::new(false);

/// Said by the progress display when it draws or takes down a line.
pub fn set_bar_on_screen(on: bool) {
    BAR_ON_SCREEN.store(on, Ordering::SeqCst);
}

extern "C" fn on_signal(sig: nix::libc::c_int) {
    LAST_SIGNAL.store(sig as usize, Ordering::SeqCst);
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 2 {
        // Third signal: leave now.
        if BAR_ON_SCREEN.load(Ordering::SeqCst) {
            const ERASE_LINE: &[u8] = b"\r\x1b[2K";
            // SAFETY: `write` is async-signal-safe; the buffer is a static byte string.
            unsafe { nix::libc::write(2, ERASE_LINE.as_ptr().cast(), ERASE_LINE.len()) };
        }
        // SAFETY: `_exit` is async-signal-safe and takes no pointers.
        unsafe { nix::libc::_exit(130) };
    }
}

/// Installs the handlers (idempotent).
pub fn install() {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only touches atomics and calls `write` and `_exit`.
        unsafe {
            signal::sigaction(sig, &action).ok();
        }
    }
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// Whether the stop must not wait for in-flight work (a second signal).
pub fn stop_now() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 1
}

/// Name of the signal that asked for the stop.
pub fn stop_signal_name() -> &'static str {
    match LAST_SIGNAL.load(Ordering::SeqCst) as i32 {
        s if s == Signal::SIGTERM as i32 => "SIGTERM",
        _ => "SIGINT",
    }
}
