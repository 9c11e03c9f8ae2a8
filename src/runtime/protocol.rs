//! The coordinator ↔ worker protocol: length-prefixed frames (u32 little-endian length, then a
//! bincode-encoded message) over the worker's stdin and stdout.
//!
//! Only metadata crosses the pipe: a setup, then ranges of spec indices in and one outcome
//! block per batch out (a byte per spec, full records of passed and error outcomes only). A worker of the warm pool gets a new setup for each segment it serves and
//! keeps its process (`Setup` again, answered by `Ready` again).

use std::io::{self, Read, Write};

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::context::SearchSetup;
use crate::journal::OutcomeBlock;

/// Largest frame accepted (a batch of passed models with full detail stays far below).
const MAX_FRAME: usize = 1 << 30;

/// Coordinator → worker.
#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// Build the context of this search (the first message, and again for each segment the
    /// worker serves next); answered by `Ready` or `Failed`.
    Setup(Box<SearchSetup>),
    /// Evaluate the half-open index ranges.
    Batch { id: u64, ranges: Vec<(u64, u64)> },
    /// Finish: reply with `Bye` and exit.
    Shutdown,
    /// Reply with `Usage` (the end of a segment: its CPU share is the difference).
    Report,
}

/// Resource usage of a process (or thread).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct Usage {
    pub user_seconds: f64,
    pub sys_seconds: f64,
    pub max_rss_kb: i64,
}

/// Worker → coordinator.
#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    /// The context is built; ready for batches.
    Ready {
        pid: u32,
        load_seconds: f64,
    },
    Done {
        id: u64,
        block: OutcomeBlock,
        busy_seconds: f64,
    },
    /// The worker cannot go on (bad bundle, …); the message is for the user.
    Failed {
        message: String,
    },
    Bye {
        usage: Usage,
    },
    /// The answer to `Report`.
    Usage {
        usage: Usage,
    },
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Writes one frame and flushes.
pub fn write_frame<T: Serialize, W: Write>(w: &mut W, msg: &T) -> io::Result<()> {
    let body = bincode::serde::encode_to_vec(msg, config())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    w.write_all(&(body.len() as u32).to_le_bytes())?;
    w.write_all(&body)?;
    w.flush()
}

/// Reads one frame; `Ok(None)` on a clean end of stream before a frame starts.
pub fn read_frame<T: DeserializeOwned, R: Read>(
    r: &mut R,
    buf: &mut Vec<u8>,
) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    buf.resize(len, 0);
    r.read_exact(buf)?;
    let (msg, _) = bincode::serde::decode_from_slice(buf, config())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Some(msg))
}

/// This process's (or thread's) resource usage so far.
pub fn usage(who: nix::sys::resource::UsageWho) -> Usage {
    match nix::sys::resource::getrusage(who) {
        Ok(u) => {
            let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 * 1e-6;
            Usage {
                user_seconds: secs(u.user_time()),
                sys_seconds: secs(u.system_time()),
                max_rss_kb: u.max_rss(),
            }
        }
        Err(_) => Usage::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_eof_is_clean() {
        let mut buf = Vec::new();
        write_frame(
            &mut buf,
            &ToWorker::Batch {
                id: 7,
                ranges: vec![(3, 9), (12, 13)],
            },
        )
        .unwrap();
        write_frame(&mut buf, &ToWorker::Shutdown).unwrap();
        let mut r = &buf[..];
        let mut scratch = Vec::new();
        match read_frame::<ToWorker, _>(&mut r, &mut scratch).unwrap() {
            Some(ToWorker::Batch { id, ranges }) => {
                assert_eq!(id, 7);
                assert_eq!(ranges, vec![(3, 9), (12, 13)]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            read_frame::<ToWorker, _>(&mut r, &mut scratch).unwrap(),
            Some(ToWorker::Shutdown)
        ));
        assert!(read_frame::<ToWorker, _>(&mut r, &mut scratch)
            .unwrap()
            .is_none());
        // The warm pool's end of a segment: Report is answered by Usage.
        let mut warm = Vec::new();
        write_frame(&mut warm, &ToWorker::Report).unwrap();
        let usage = Usage {
            user_seconds: 1.5,
            sys_seconds: 0.25,
            max_rss_kb: 4096,
        };
        write_frame(&mut warm, &FromWorker::Usage { usage }).unwrap();
        let mut r = &warm[..];
        assert!(matches!(
            read_frame::<ToWorker, _>(&mut r, &mut scratch).unwrap(),
            Some(ToWorker::Report)
        ));
        match read_frame::<FromWorker, _>(&mut r, &mut scratch).unwrap() {
            Some(FromWorker::Usage { usage: u }) => assert_eq!(u, usage),
            other => panic!("unexpected {other:?}"),
        }
        // A truncated frame is an error, not a clean end.
        let mut r = &buf[..6];
        assert!(read_frame::<ToWorker, _>(&mut r, &mut scratch).is_err());
    }
}
