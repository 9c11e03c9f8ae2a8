//! The worker process (`specsearch worker`, hidden): reads the setup and then batches of spec
//! indices on stdin, answers outcome records on stdout. It never writes to disk, logs only to
//! stderr, and exits when told to or when its stdin closes (the coordinator is gone).

use std::io::{self, BufReader, BufWriter};

use super::context::{EvalContext, EvalScratch};
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
    let ctx = match EvalContext::open(&setup) {
        Ok(ctx) => ctx,
        Err(e) => {
            write_frame(
                &mut output,
                &FromWorker::Failed {
                    message: format!("{e:#}"),
                },
            )?;
            return Err(e);
        }
    };
    write_frame(
        &mut output,
        &FromWorker::Ready {
            pid: std::process::id(),
            load_seconds: ctx.load_seconds,
        },
    )?;

    let mut scratch = EvalScratch::default();
    loop {
        match read_frame::<ToWorker, _>(&mut input, &mut buf)? {
            Some(ToWorker::Batch { id, ranges }) => {
                let started = std::time::Instant::now();
                let mut records = Vec::new();
                ctx.evaluate(&ranges, &mut scratch, &mut records)?;
                write_frame(
                    &mut output,
                    &FromWorker::Done {
                        id,
                        records,
                        busy_seconds: started.elapsed().as_secs_f64(),
                    },
                )?;
            }
            Some(ToWorker::Shutdown) => {
                let usage = usage(nix::sys::resource::UsageWho::RUSAGE_SELF);
                write_frame(&mut output, &FromWorker::Bye { usage })?;
                return Ok(());
            }
            Some(ToWorker::Setup(_)) => anyhow::bail!("protocol error: a second setup"),
            None => return Ok(()),
        }
    }
}
