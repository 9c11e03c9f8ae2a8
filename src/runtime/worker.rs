//! The worker process (`specsearch worker`, hidden): reads the setup and then batches of spec
//! indices on stdin, answers an outcome block per batch on stdout. A new setup (the next segment of a
//! warm pool) replaces its context; the process stays. It never writes to disk, logs only to
//! stderr, and exits when told to or when its stdin closes (the coordinator is gone).

use std::io::{self, BufReader, BufWriter};

use super::context::{EvalContext, EvalScratch, SearchSetup};
use super::faults;
use super::protocol::{read_frame, usage, write_frame, FromWorker, ToWorker};

/// Runs the worker loop until `Shutdown` or end of input.
pub fn run() -> anyhow::Result<()> {
    faults::mark_worker_process();
    let mut input = BufReader::with_capacity(1 << 16, io::stdin().lock());
    let mut output = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let mut buf = Vec::new();

    let setup = match read_frame::<ToWorker, _>(&mut input, &mut buf)? {
        Some(ToWorker::Setup(setup)) => setup,
        Some(_) => anyhow::bail!("protocol error: the first message must be the setup"),
        None => return Ok(()),
    };
    let mut ctx = open_context(&setup, &mut output)?;
    let mut scratch = EvalScratch::default();
    loop {
        match read_frame::<ToWorker, _>(&mut input, &mut buf)? {
            Some(ToWorker::Batch { id, ranges }) => {
                let started = std::time::Instant::now();
                let block = ctx.evaluate(&ranges, &mut scratch)?;
                write_frame(
                    &mut output,
                    &FromWorker::Done {
                        id,
                        block,
                        busy_seconds: started.elapsed().as_secs_f64(),
                    },
                )?;
            }
            Some(ToWorker::Shutdown) => {
                let usage = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
                write_frame(&mut output, &FromWorker::Bye { usage })?;
                return Ok(());
            }
            Some(ToWorker::Setup(setup)) => {
                // The next segment: its context replaces this one's, in the same process.
                drop(ctx);
                ctx = open_context(&setup, &mut output)?;
                scratch = EvalScratch::default();
            }
            Some(ToWorker::Report) => {
                let usage = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
                write_frame(&mut output, &FromWorker::Usage { usage })?;
            }
            None => return Ok(()),
        }
    }
}

/// Builds the context of `setup` and answers `Ready`, or `Failed` (and the error).
fn open_context<W: std::io::Write>(
    setup: &SearchSetup,
    output: &mut W,
) -> anyhow::Result<EvalContext> {
    match EvalContext::open(setup) {
        Ok(ctx) => {
            write_frame(
                output,
                &FromWorker::Ready {
                    pid: std::process::id(),
                    load_seconds: ctx.load_seconds,
                },
            )?;
            Ok(ctx)
        }
        Err(e) => {
            write_frame(
                output,
                &FromWorker::Failed {
                    message: format!("{e:#}"),
                },
            )?;
            Err(e)
        }
    }
}
