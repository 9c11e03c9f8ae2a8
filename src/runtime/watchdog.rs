//! The worker watchdog, in the manner of cargo-nextest's slow/terminate timeouts: every batch a
//! worker runs has a deadline derived from the measured cost per spec (20× the expected time,
//! never less than `run.batch_timeout`); a worker past it is sent SIGTERM, given a grace period,
//! then its process group is sent SIGKILL. Its batch then takes the crash-isolation path of
//! dispatch (re-run spec by spec), so a spec that hangs is found and journaled as an error.
//!
//! A stopped process (SIGSTOP), an infinite loop and a deadlocked worker look the same from
//! here: no answer in time.

use std::time::{Duration, Instant};

/// How long a worker is given between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);

/// A batch's deadline is this many times its expected duration.
const SLACK: f64 = 20.0;

/// Deadlines from what batches have cost so far.
#[derive(Debug, Clone)]
pub struct Watchdog {
    floor: Duration,
    /// Mean seconds per spec over every batch finished in this session.
    busy_seconds: f64,
    specs: u64,
}

impl Watchdog {
    /// A watchdog whose deadlines are never shorter than `floor`.
    pub fn new(floor: Duration) -> Watchdog {
        Watchdog {
            floor,
            busy_seconds: 0.0,
            specs: 0,
        }
    }

    /// Records a finished batch of `specs` specs that kept its worker busy `busy_seconds`.
    pub fn observe(&mut self, specs: u64, busy_seconds: f64) {
        self.specs += specs;
        self.busy_seconds += busy_seconds.max(0.0);
    }

    /// The deadline of a batch of `specs` specs.
    pub fn deadline(&self, specs: u64) -> Duration {
        if self.specs == 0 {
            return self.floor;
        }
        let expected = self.busy_seconds / self.specs as f64 * specs as f64;
        self.floor.max(Duration::from_secs_f64(SLACK * expected))
    }
}

/// Where one worker's running batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Nothing in flight.
    Idle,
    /// Running its front batch since then.
    Running(Instant),
    /// Sent SIGTERM at `at` because the batch ran `waited` past its start.
    Terminating { at: Instant, waited: Duration },
    /// Sent SIGKILL too; waiting for the kernel to reap it.
    Killed { waited: Duration },
}

/// What the watchdog wants done to a worker now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    /// Past its deadline: send SIGTERM (the batch has run `waited`).
    Terminate {
        waited: Duration,
    },
    /// Still there after the grace period: SIGKILL its process group.
    Kill,
}

impl Clock {
    /// The action due at `now` for a front batch with deadline `deadline`, and the new clock.
    pub fn check(self, now: Instant, deadline: Duration) -> (Action, Clock) {
        match self {
            Clock::Running(since) if now.duration_since(since) > deadline => {
                let waited = now.duration_since(since);
                (
                    Action::Terminate { waited },
                    Clock::Terminating { at: now, waited },
                )
            }
            Clock::Terminating { at, waited } if now.duration_since(at) > GRACE => {
                (Action::Kill, Clock::Killed { waited })
            }
            other => (Action::None, other),
        }
    }

    /// Seconds the stopped batch had run, when the watchdog is stopping (or stopped) it.
    pub fn timed_out(self) -> Option<Duration> {
        match self {
            Clock::Terminating { waited, .. } | Clock::Killed { waited } => Some(waited),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_measured_cost_with_a_floor() {
        let mut w = Watchdog::new(Duration::from_secs(60));
        assert_eq!(w.deadline(2048), Duration::from_secs(60));
        // 10 µs per spec: a 2048-spec batch is expected in 20 ms, far under the floor.
        w.observe(4096, 0.04096);
        assert_eq!(w.deadline(2048), Duration::from_secs(60));
        // 10 ms per spec: 20 × 20.48 s.
        let mut slow = Watchdog::new(Duration::from_secs(1));
        slow.observe(100, 1.0);
        let d = slow.deadline(2048).as_secs_f64();
        assert!((d - 409.6).abs() < 1e-9, "{d}");
    }

    #[test]
    fn a_late_batch_is_terminated_then_killed_after_the_grace_period() {
        let t0 = Instant::now();
        let deadline = Duration::from_secs(10);
        let clock = Clock::Running(t0);
        let (a, clock) = clock.check(t0 + Duration::from_secs(9), deadline);
        assert_eq!(a, Action::None);
        let (a, clock) = clock.check(t0 + Duration::from_secs(11), deadline);
        assert_eq!(
            a,
            Action::Terminate {
                waited: Duration::from_secs(11)
            }
        );
        assert_eq!(clock.timed_out(), Some(Duration::from_secs(11)));
        let (a, clock) = clock.check(t0 + Duration::from_secs(13), deadline);
        assert_eq!(a, Action::None, "inside the grace period");
        let (a, clock) = clock.check(t0 + Duration::from_secs(17), deadline);
        assert_eq!(a, Action::Kill);
        let (a, _) = clock.check(t0 + Duration::from_secs(60), deadline);
        assert_eq!(a, Action::None, "killed once");
        assert_eq!(Clock::Idle.check(t0, deadline).0, Action::None);
    }
}
