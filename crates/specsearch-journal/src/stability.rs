//! Stability over time (§11) and dynamic backtests (§12) in the journal
//! (`migrations/0012_stability.sql`, views in `sql/stability.sql`): writing a model's results
//! (replacing its previous ones in one transaction), reading them back typed for `show` and the
//! report, and streaming them for `export`.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use specsearch_core::assess::{CovType, FilterTest};

use crate::error::{JournalError, Result};
use crate::handle::{Journal, JournalRw};
use crate::rows::{stream_statement, Sink};
use crate::runs::RunId;
use crate::scenarios::real;
use crate::status::stored_words;

stored_words! {
    /// A break test of §11 (`break_test_results.test`).
    BreakTest {
        /// CUSUM of OLS residuals (Ploberger–Krämer).
        CusumOls = "cusum_ols",
        /// CUSUM of recursive residuals (Brown–Durbin–Evans).
        CusumRecursive = "cusum_recursive",
        /// Hansen's (1992) joint parameter-instability test.
        Hansen = "hansen",
        /// The Chow F test at a known break date.
        Chow = "chow",
    }
}

stored_words! {
    /// What a break test says (`break_test_results.verdict`).
    BreakVerdict {
        /// No evidence of a break at 5 %.
        Stable = "stable",
        /// A break at 5 %.
        Unstable = "unstable",
        /// The test could not be computed (the note says why).
        NotComputed = "not_computed",
    }
}

stored_words! {
    /// Which jump-offs a backtest summary covers (`backtest_summaries.sample`).
    BacktestSample {
        All = "all",
        /// Jump-offs on or before the in-sample end.
        InSample = "in_sample",
        /// Jump-offs after the in-sample end.
        OutOfSample = "out_of_sample",
    }
}

stored_words! {
    /// Which analysis a note belongs to (`stability_notes.analysis`).
    StabilityAnalysis {
        Stability = "stability",
        Backtest = "backtest",
    }
}

/// One coefficient of a walk-forward trial.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialCoefficient {
    pub name: String,
    pub coef: Option<f64>,
    pub se: Option<f64>,
    pub pvalue: Option<f64>,
    /// `(b_trial − b)/b` against the full in-sample fit.
    pub pct_change: Option<f64>,
}

/// One walk-forward trial (`stability_trials` and its `stability_coefficients`).
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRecord {
    /// `final` or `WF1`, `WF2`, …
    pub trial: String,
    /// 0 for `final`, k for `WFk`.
    pub position: u32,
    pub cut: u32,
    pub in_start: String,
    pub in_end: String,
    pub nobs: u32,
    pub cov_type: Option<CovType>,
    pub r2: Option<f64>,
    pub adj_r2: Option<f64>,
    pub rmse_in: Option<f64>,
    pub rmse_oos: Option<f64>,
    pub mae_oos: Option<f64>,
    pub max_abs_oos: Option<f64>,
    /// `None` for a skipped trial.
    pub passes: Option<bool>,
    pub failed_test: Option<FilterTest>,
    pub note: Option<String>,
    /// Coefficient order (intercept first); empty for a skipped trial.
    pub coefficients: Vec<TrialCoefficient>,
}

/// One coefficient's expanding-window path.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveSeries {
    pub name: String,
    /// Per window (NaN: not computed).
    pub coefs: Vec<f64>,
    pub ses: Vec<f64>,
}

/// The recursive coefficients of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveRecord {
    pub start_date: String,
    /// Rows of the first window (n₀).
    pub first_rows: u32,
    /// The windows' end dates.
    pub dates: Vec<String>,
    /// One per coefficient, in coefficient order.
    pub series: Vec<RecursiveSeries>,
}

/// One break test of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakTestRecord {
    pub test: BreakTest,
    pub date: Option<String>,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub critical_value: Option<f64>,
    pub verdict: BreakVerdict,
    pub note: Option<String>,
}

/// A CUSUM path for the report's plot.
#[derive(Debug, Clone, PartialEq)]
pub struct CusumRecord {
    /// [`BreakTest::CusumOls`] or [`BreakTest::CusumRecursive`].
    pub test: BreakTest,
    pub first_date: String,
    pub path: Vec<f64>,
    /// The 5 % boundary at each point (the lower one is its negative).
    pub upper: Vec<f64>,
}

/// Everything §11 keeps about one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelStability {
    pub spec_index: u64,
    pub trials: Vec<TrialRecord>,
    pub recursive: Option<RecursiveRecord>,
    pub breaks: Vec<BreakTestRecord>,
    pub cusums: Vec<CusumRecord>,
    pub notes: Vec<String>,
}

/// One jump-off of a backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct JumpOffRecord {
    pub jump_off: String,
    pub in_sample: bool,
    pub p0_level: f64,
    /// Quarter-end dates of steps 1..=H.
    pub dates: Vec<String>,
    pub predicted: Vec<f64>,
    pub actual: Vec<f64>,
    pub pct_error: Vec<f64>,
    pub predicted_change: f64,
    pub actual_change: f64,
}

/// The summary of a set of a model's jump-offs.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestSummaryRecord {
    pub sample: BacktestSample,
    pub quarters: u32,
    pub jump_offs: u32,
    pub mape_by_step: Vec<f64>,
    pub worst_jump_off: String,
    pub worst_mape: f64,
    pub sign_hit_rate: f64,
}

/// Everything §12 keeps about one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelBacktest {
    pub spec_index: u64,
    pub jump_offs: Vec<JumpOffRecord>,
    pub summaries: Vec<BacktestSummaryRecord>,
    pub notes: Vec<String>,
}

fn opt_real(v: Option<f64>) -> Option<f64> {
    v.and_then(real)
}

/// `values` as a JSON array (shortest round-trip decimals; non-finite values are null).
pub(crate) fn json_numbers(values: &[f64]) -> String {
    let v: Vec<Option<f64>> = values.iter().map(|&x| real(x)).collect();
    serde_json::to_string(&v).expect("numbers serialise")
}

pub(crate) fn parse_numbers(text: &str) -> Result<Vec<f64>> {
    let v: Vec<Option<f64>> = serde_json::from_str(text)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

/// A backtest summary from a row whose first columns are `sample, quarters, jump_offs,
/// mape_by_step, worst_jump_off, worst_mape, sign_hit_rate` (models' and benchmarks' alike).
pub(crate) fn summary_of_row(r: &rusqlite::Row<'_>) -> Result<BacktestSummaryRecord> {
    Ok(BacktestSummaryRecord {
        sample: r.get(0)?,
        quarters: r.get(1)?,
        jump_offs: r.get(2)?,
        mape_by_step: parse_numbers(r.get_ref(3)?.as_str()?)?,
        worst_jump_off: r.get(4)?,
        worst_mape: r.get::<_, Option<f64>>(5)?.unwrap_or(f64::NAN),
        sign_hit_rate: r.get(6)?,
    })
}

/// Runs an INSERT whose parameters are `run_id, KEY, sample, quarters, jump_offs,
/// mape_by_step, worst_jump_off, worst_mape, sign_hit_rate` (KEY: a spec index or a
/// benchmark's name).
pub(crate) fn insert_summary(
    stmt: &mut rusqlite::Statement<'_>,
    run_id: RunId,
    key: &dyn rusqlite::ToSql,
    s: &BacktestSummaryRecord,
) -> rusqlite::Result<usize> {
    stmt.execute(params![
        run_id,
        key,
        s.sample,
        s.quarters,
        s.jump_offs,
        json_numbers(&s.mape_by_step),
        s.worst_jump_off,
        real(s.worst_mape),
        s.sign_hit_rate
    ])
}

fn parse_strings(text: &str) -> Result<Vec<String>> {
    Ok(serde_json::from_str(text)?)
}

fn cov_type_from_sql(text: Option<String>) -> Result<Option<CovType>> {
    match text.as_deref() {
        None => Ok(None),
        Some("nonrobust") => Ok(Some(CovType::NonRobust)),
        Some("HC1") => Ok(Some(CovType::HC1)),
        Some("HAC") => Ok(Some(CovType::HAC)),
        Some(other) => Err(JournalError::Invalid(format!(
            "unknown covariance type {other:?} in stability_trials"
        ))),
    }
}

fn filter_test_from_slug(text: Option<String>) -> Result<Option<FilterTest>> {
    match text {
        None => Ok(None),
        Some(t) => FilterTest::parse(&t).map(Some).ok_or_else(|| {
            JournalError::Invalid(format!("unknown filter {t:?} in stability_trials"))
        }),
    }
}

const STABILITY_TABLES: [&str; 7] = [
    "stability_coefficients",
    "stability_trials",
    "recursive_paths",
    "stability_windows",
    "break_test_results",
    "cusum_paths",
    "stability_notes",
];

const BACKTEST_TABLES: [&str; 3] = [
    "backtest_jump_offs",
    "backtest_summaries",
    "stability_notes",
];

/// Deletes one model's rows of `tables` (notes of `analysis` only).
fn delete_model(
    tx: &Transaction<'_>,
    run_id: RunId,
    spec: i64,
    tables: &[&str],
    analysis: StabilityAnalysis,
) -> rusqlite::Result<()> {
    for table in tables {
        if *table == "stability_notes" {
            tx.execute(
                "DELETE FROM stability_notes WHERE run_id = ?1 AND spec_index = ?2 \
                 AND analysis = ?3",
                params![run_id, spec, analysis],
            )?;
        } else {
            tx.execute(
                &format!("DELETE FROM {table} WHERE run_id = ?1 AND spec_index = ?2"),
                params![run_id, spec],
            )?;
        }
    }
    Ok(())
}

fn write_notes(
    tx: &Transaction<'_>,
    run_id: RunId,
    spec: i64,
    analysis: StabilityAnalysis,
    notes: &[String],
) -> rusqlite::Result<()> {
    let mut ins = tx.prepare(
        "INSERT INTO stability_notes (run_id, spec_index, analysis, position, note) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, n) in notes.iter().enumerate() {
        ins.execute(params![run_id, spec, analysis, i as i64, n])?;
    }
    Ok(())
}

fn write_stability(conn: &Connection, run_id: RunId, models: &[ModelStability]) -> Result<u64> {
    let tx = conn.unchecked_transaction()?;
    let mut rows = 0u64;
    for m in models {
        let spec = m.spec_index as i64;
        delete_model(
            &tx,
            run_id,
            spec,
            &STABILITY_TABLES,
            StabilityAnalysis::Stability,
        )?;
        let mut trial = tx.prepare(
            "INSERT INTO stability_trials (run_id, spec_index, trial, position, cut, in_start, \
             in_end, nobs, cov_type, r2, adj_r2, rmse_in, rmse_oos, mae_oos, max_abs_oos, \
             passes, failed_test, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
             ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )?;
        let mut coef = tx.prepare(
            "INSERT INTO stability_coefficients (run_id, spec_index, trial, position, name, \
             coef, se, pvalue, pct_change) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for t in &m.trials {
            trial.execute(params![
                run_id,
                spec,
                t.trial,
                t.position,
                t.cut,
                t.in_start,
                t.in_end,
                t.nobs,
                t.cov_type.map(CovType::as_str),
                opt_real(t.r2),
                opt_real(t.adj_r2),
                opt_real(t.rmse_in),
                opt_real(t.rmse_oos),
                opt_real(t.mae_oos),
                opt_real(t.max_abs_oos),
                t.passes,
                t.failed_test.map(FilterTest::as_str),
                t.note
            ])?;
            rows += 1;
            for (i, c) in t.coefficients.iter().enumerate() {
                coef.execute(params![
                    run_id,
                    spec,
                    t.trial,
                    i as i64,
                    c.name,
                    opt_real(c.coef),
                    opt_real(c.se),
                    opt_real(c.pvalue),
                    opt_real(c.pct_change)
                ])?;
                rows += 1;
            }
        }
        if let Some(r) = &m.recursive {
            tx.execute(
                "INSERT INTO stability_windows (run_id, spec_index, start_date, first_rows, \
                 dates) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    run_id,
                    spec,
                    r.start_date,
                    r.first_rows,
                    serde_json::to_string(&r.dates)?
                ],
            )?;
            let mut path = tx.prepare(
                "INSERT INTO recursive_paths (run_id, spec_index, position, name, coefs, ses) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, s) in r.series.iter().enumerate() {
                if s.coefs.len() != r.dates.len() || s.ses.len() != r.dates.len() {
                    return Err(JournalError::Invalid(format!(
                        "spec {}: the recursive path of {} has {} points for {} windows",
                        m.spec_index,
                        s.name,
                        s.coefs.len(),
                        r.dates.len()
                    )));
                }
                path.execute(params![
                    run_id,
                    spec,
                    i as i64,
                    s.name,
                    json_numbers(&s.coefs),
                    json_numbers(&s.ses)
                ])?;
                rows += r.dates.len() as u64;
            }
        }
        let mut brk = tx.prepare(
            "INSERT INTO break_test_results (run_id, spec_index, position, test, date, \
             statistic, p_value, critical_value, verdict, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
             ?7, ?8, ?9, ?10)",
        )?;
        for (i, b) in m.breaks.iter().enumerate() {
            brk.execute(params![
                run_id,
                spec,
                i as i64,
                b.test,
                b.date,
                opt_real(b.statistic),
                opt_real(b.p_value),
                opt_real(b.critical_value),
                b.verdict,
                b.note
            ])?;
            rows += 1;
        }
        let mut cusum = tx.prepare(
            "INSERT INTO cusum_paths (run_id, spec_index, test, first_date, path, upper) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for c in &m.cusums {
            cusum.execute(params![
                run_id,
                spec,
                c.test,
                c.first_date,
                json_numbers(&c.path),
                json_numbers(&c.upper)
            ])?;
        }
        write_notes(&tx, run_id, spec, StabilityAnalysis::Stability, &m.notes)?;
    }
    tx.commit()?;
    Ok(rows)
}

fn write_backtests(conn: &Connection, run_id: RunId, models: &[ModelBacktest]) -> Result<u64> {
    let tx = conn.unchecked_transaction()?;
    let mut rows = 0u64;
    for m in models {
        let spec = m.spec_index as i64;
        delete_model(
            &tx,
            run_id,
            spec,
            &BACKTEST_TABLES,
            StabilityAnalysis::Backtest,
        )?;
        let mut jump = tx.prepare(
            "INSERT INTO backtest_jump_offs (run_id, spec_index, jump_off, in_sample, p0_level, \
             dates, predicted, actual, pct_error, predicted_change, actual_change) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for j in &m.jump_offs {
            let steps = j.dates.len();
            if j.predicted.len() != steps || j.actual.len() != steps || j.pct_error.len() != steps {
                return Err(JournalError::Invalid(format!(
                    "spec {}: jump-off {} has paths of unequal length",
                    m.spec_index, j.jump_off
                )));
            }
            jump.execute(params![
                run_id,
                spec,
                j.jump_off,
                j.in_sample,
                j.p0_level,
                serde_json::to_string(&j.dates)?,
                json_numbers(&j.predicted),
                json_numbers(&j.actual),
                json_numbers(&j.pct_error),
                real(j.predicted_change),
                real(j.actual_change)
            ])?;
            rows += steps as u64;
        }
        let mut summary = tx.prepare(
            "INSERT INTO backtest_summaries (run_id, spec_index, sample, quarters, jump_offs, \
             mape_by_step, worst_jump_off, worst_mape, sign_hit_rate) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for s in &m.summaries {
            insert_summary(&mut summary, run_id, &spec, s)?;
        }
        write_notes(&tx, run_id, spec, StabilityAnalysis::Backtest, &m.notes)?;
    }
    tx.commit()?;
    Ok(rows)
}

fn notes(
    conn: &Connection,
    run_id: RunId,
    spec: i64,
    analysis: StabilityAnalysis,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT note FROM stability_notes WHERE run_id = ?1 AND spec_index = ?2 \
         AND analysis = ?3 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![run_id, spec, analysis], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn read_trials(conn: &Connection, run_id: RunId, spec: i64) -> Result<Vec<TrialRecord>> {
    let mut stmt = conn.prepare(
        "SELECT trial, position, cut, in_start, in_end, nobs, cov_type, r2, adj_r2, rmse_in, \
         rmse_oos, mae_oos, max_abs_oos, passes, failed_test, note FROM stability_trials \
         WHERE run_id = ?1 AND spec_index = ?2 ORDER BY position",
    )?;
    let mut rows = stmt.query(params![run_id, spec])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(TrialRecord {
            trial: r.get(0)?,
            position: r.get(1)?,
            cut: r.get(2)?,
            in_start: r.get(3)?,
            in_end: r.get(4)?,
            nobs: r.get(5)?,
            cov_type: cov_type_from_sql(r.get(6)?)?,
            r2: r.get(7)?,
            adj_r2: r.get(8)?,
            rmse_in: r.get(9)?,
            rmse_oos: r.get(10)?,
            mae_oos: r.get(11)?,
            max_abs_oos: r.get(12)?,
            passes: r.get(13)?,
            failed_test: filter_test_from_slug(r.get(14)?)?,
            note: r.get(15)?,
            coefficients: Vec::new(),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT trial, name, coef, se, pvalue, pct_change FROM stability_coefficients \
         WHERE run_id = ?1 AND spec_index = ?2 ORDER BY trial, position",
    )?;
    let mut rows = stmt.query(params![run_id, spec])?;
    while let Some(r) = rows.next()? {
        let label: String = r.get(0)?;
        let Some(t) = out.iter_mut().find(|t| t.trial == label) else {
            continue;
        };
        t.coefficients.push(TrialCoefficient {
            name: r.get(1)?,
            coef: r.get(2)?,
            se: r.get(3)?,
            pvalue: r.get(4)?,
            pct_change: r.get(5)?,
        });
    }
    Ok(out)
}

fn read_stability(
    conn: &Connection,
    run_id: RunId,
    spec_index: u64,
) -> Result<Option<ModelStability>> {
    let spec = spec_index as i64;
    let trials = read_trials(conn, run_id, spec)?;
    if trials.is_empty() {
        return Ok(None);
    }
    let window = conn
        .query_row(
            "SELECT start_date, first_rows, dates FROM stability_windows \
             WHERE run_id = ?1 AND spec_index = ?2",
            params![run_id, spec],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    let recursive = match window {
        None => None,
        Some((start_date, first_rows, dates)) => {
            let mut stmt = conn.prepare(
                "SELECT name, coefs, ses FROM recursive_paths WHERE run_id = ?1 \
                 AND spec_index = ?2 ORDER BY position",
            )?;
            let mut rows = stmt.query(params![run_id, spec])?;
            let mut series = Vec::new();
            while let Some(r) = rows.next()? {
                series.push(RecursiveSeries {
                    name: r.get(0)?,
                    coefs: parse_numbers(r.get_ref(1)?.as_str()?)?,
                    ses: parse_numbers(r.get_ref(2)?.as_str()?)?,
                });
            }
            Some(RecursiveRecord {
                start_date,
                first_rows,
                dates: parse_strings(&dates)?,
                series,
            })
        }
    };
    let mut stmt = conn.prepare(
        "SELECT test, date, statistic, p_value, critical_value, verdict, note \
         FROM break_test_results WHERE run_id = ?1 AND spec_index = ?2 ORDER BY position",
    )?;
    let breaks = stmt
        .query_map(params![run_id, spec], |r| {
            Ok(BreakTestRecord {
                test: r.get(0)?,
                date: r.get(1)?,
                statistic: r.get(2)?,
                p_value: r.get(3)?,
                critical_value: r.get(4)?,
                verdict: r.get(5)?,
                note: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT test, first_date, path, upper FROM cusum_paths WHERE run_id = ?1 \
         AND spec_index = ?2 ORDER BY test",
    )?;
    let mut rows = stmt.query(params![run_id, spec])?;
    let mut cusums = Vec::new();
    while let Some(r) = rows.next()? {
        cusums.push(CusumRecord {
            test: r.get(0)?,
            first_date: r.get(1)?,
            path: parse_numbers(r.get_ref(2)?.as_str()?)?,
            upper: parse_numbers(r.get_ref(3)?.as_str()?)?,
        });
    }
    Ok(Some(ModelStability {
        spec_index,
        trials,
        recursive,
        breaks,
        cusums,
        notes: notes(conn, run_id, spec, StabilityAnalysis::Stability)?,
    }))
}

fn read_backtest(
    conn: &Connection,
    run_id: RunId,
    spec_index: u64,
) -> Result<Option<ModelBacktest>> {
    let spec = spec_index as i64;
    let mut stmt = conn.prepare(
        "SELECT jump_off, in_sample, p0_level, dates, predicted, actual, pct_error, \
         predicted_change, actual_change FROM backtest_jump_offs WHERE run_id = ?1 \
         AND spec_index = ?2 ORDER BY jump_off",
    )?;
    let mut rows = stmt.query(params![run_id, spec])?;
    let mut jump_offs = Vec::new();
    while let Some(r) = rows.next()? {
        jump_offs.push(JumpOffRecord {
            jump_off: r.get(0)?,
            in_sample: r.get(1)?,
            p0_level: r.get(2)?,
            dates: parse_strings(r.get_ref(3)?.as_str()?)?,
            predicted: parse_numbers(r.get_ref(4)?.as_str()?)?,
            actual: parse_numbers(r.get_ref(5)?.as_str()?)?,
            pct_error: parse_numbers(r.get_ref(6)?.as_str()?)?,
            predicted_change: r.get::<_, Option<f64>>(7)?.unwrap_or(f64::NAN),
            actual_change: r.get::<_, Option<f64>>(8)?.unwrap_or(f64::NAN),
        });
    }
    let mut stmt = conn.prepare(
        "SELECT sample, quarters, jump_offs, mape_by_step, worst_jump_off, worst_mape, \
         sign_hit_rate FROM backtest_summaries WHERE run_id = ?1 AND spec_index = ?2 \
         ORDER BY CASE sample WHEN 'all' THEN 0 WHEN 'in_sample' THEN 1 ELSE 2 END",
    )?;
    let mut rows = stmt.query(params![run_id, spec])?;
    let mut summaries = Vec::new();
    while let Some(r) = rows.next()? {
        summaries.push(summary_of_row(r)?);
    }
    let notes = notes(conn, run_id, spec, StabilityAnalysis::Backtest)?;
    if jump_offs.is_empty() && notes.is_empty() {
        return Ok(None);
    }
    Ok(Some(ModelBacktest {
        spec_index,
        jump_offs,
        summaries,
        notes,
    }))
}

/// `export --what stability`: one row per (model, trial, coefficient), ranked models first.
fn stream_stability(conn: &Connection, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT t.run_id, k.rank, t.spec_index, t.trial, t.cut, t.in_start, t.in_end, t.nobs, \
         t.cov_type, t.r2, t.adj_r2, t.rmse_in, t.rmse_oos, t.mae_oos, t.max_abs_oos, \
         t.passes, t.failed_test, c.name, c.coef, c.se, c.pvalue, c.pct_change, t.note \
         FROM stability_trials t \
         LEFT JOIN stability_coefficients c ON c.run_id = t.run_id \
              AND c.spec_index = t.spec_index AND c.trial = t.trial \
         LEFT JOIN ranking k ON k.run_id = t.run_id AND k.spec_index = t.spec_index \
         WHERE t.run_id = ?1 \
         ORDER BY k.rank IS NULL, k.rank, t.spec_index, t.position, c.position",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}

/// `export --what backtests`: one row per (model, jump-off, step), ranked models first.
fn stream_backtests(conn: &Connection, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT p.run_id, k.rank, p.spec_index, p.jump_off, p.sample, p.step, p.date, \
         p.predicted_level, p.actual_level, p.pct_error \
         FROM backtest_paths p \
         LEFT JOIN ranking k ON k.run_id = p.run_id AND k.spec_index = p.spec_index \
         WHERE p.run_id = ?1 \
         ORDER BY k.rank IS NULL, k.rank, p.spec_index, p.jump_off, p.step",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}

/// `export --what break-tests`: one row per (model, test).
fn stream_break_tests(conn: &Connection, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT b.run_id, k.rank, b.spec_index, b.test, b.date, b.statistic, b.p_value, \
         b.critical_value, b.verdict, b.note FROM break_test_results b \
         LEFT JOIN ranking k ON k.run_id = b.run_id AND k.spec_index = b.spec_index \
         WHERE b.run_id = ?1 ORDER BY k.rank IS NULL, k.rank, b.spec_index, b.position",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}

/// `export --what recursive`: one row per (model, coefficient, window).
fn stream_recursive(conn: &Connection, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT r.run_id, k.rank, r.spec_index, r.name, r.date, r.coef, r.se, r.lower, r.upper \
         FROM recursive_coefficients r \
         LEFT JOIN ranking k ON k.run_id = r.run_id AND k.spec_index = r.spec_index \
         WHERE r.run_id = ?1 \
         ORDER BY k.rank IS NULL, k.rank, r.spec_index, r.position, r.step",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}

/// `export --what backtest-summary`: one row per (model, sample of jump-offs, step).
fn stream_backtest_summary(conn: &Connection, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
    let mut stmt = conn.prepare(
        "SELECT s.run_id, k.rank, s.spec_index, s.sample, s.quarters, s.jump_offs, s.step, \
         s.mean_abs_pct_error, s.worst_jump_off, s.worst_mean_abs_pct_error, s.sign_hit_rate \
         FROM backtest_summary s \
         LEFT JOIN ranking k ON k.run_id = s.run_id AND k.spec_index = s.spec_index \
         WHERE s.run_id = ?1 \
         ORDER BY k.rank IS NULL, k.rank, s.spec_index, \
                  CASE s.sample WHEN 'all' THEN 0 WHEN 'in_sample' THEN 1 ELSE 2 END, s.step",
    )?;
    stream_statement(&mut stmt, [run_id], sink)
}

fn models_with(conn: &Connection, run_id: RunId, table: &str) -> Result<Vec<u64>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT DISTINCT spec_index FROM {table} WHERE run_id = ?1 ORDER BY spec_index"
    ))?;
    let rows = stmt.query_map([run_id], |r| Ok(r.get::<_, i64>(0)? as u64))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Journal {
    /// One model's walk-forward trials, recursive coefficients, break tests and CUSUM paths;
    /// `None` when it has none.
    pub fn model_stability(
        &self,
        run_id: RunId,
        spec_index: u64,
    ) -> Result<Option<ModelStability>> {
        read_stability(self.conn(), run_id, spec_index).map_err(|e| self.err(e))
    }

    /// One model's backtests (jump-offs, summaries, notes); `None` when it has none.
    pub fn model_backtest(&self, run_id: RunId, spec_index: u64) -> Result<Option<ModelBacktest>> {
        read_backtest(self.conn(), run_id, spec_index).map_err(|e| self.err(e))
    }

    /// The spec indices with stability results in a run.
    pub fn stability_models(&self, run_id: RunId) -> Result<Vec<u64>> {
        models_with(self.conn(), run_id, "stability_trials").map_err(|e| self.err(e))
    }

    /// The spec indices with backtests in a run.
    pub fn backtest_models(&self, run_id: RunId) -> Result<Vec<u64>> {
        models_with(self.conn(), run_id, "backtest_summaries").map_err(|e| self.err(e))
    }

    /// Every trial coefficient of a run (`export --what stability`).
    pub fn stream_stability(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        stream_stability(self.conn(), run_id, sink).map_err(|e| self.err(e))
    }

    /// Every backtest step of a run (`export --what backtests`).
    pub fn stream_backtests(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        stream_backtests(self.conn(), run_id, sink).map_err(|e| self.err(e))
    }

    /// Every break test of a run (`export --what break-tests`).
    pub fn stream_break_tests(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        stream_break_tests(self.conn(), run_id, sink).map_err(|e| self.err(e))
    }

    /// Every recursive coefficient of a run (`export --what recursive`).
    pub fn stream_recursive(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        stream_recursive(self.conn(), run_id, sink).map_err(|e| self.err(e))
    }

    /// Every backtest summary step of a run (`export --what backtest-summary`).
    pub fn stream_backtest_summary(&self, run_id: RunId, sink: &mut dyn Sink) -> Result<u64> {
        stream_backtest_summary(self.conn(), run_id, sink).map_err(|e| self.err(e))
    }
}

impl JournalRw {
    /// Replaces the stability results of `models` (each model's previous ones deleted first)
    /// in one transaction; the rows written (trials, coefficients, recursive points, tests).
    pub fn write_stability(&self, run_id: RunId, models: &[ModelStability]) -> Result<u64> {
        write_stability(self.conn(), run_id, models).map_err(|e| self.err(e))
    }

    /// Replaces the backtests of `models` in one transaction; the steps written.
    pub fn write_backtests(&self, run_id: RunId, models: &[ModelBacktest]) -> Result<u64> {
        write_backtests(self.conn(), run_id, models).map_err(|e| self.err(e))
    }
}
