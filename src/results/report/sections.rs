//! The parts of the report page: the run, the ranking, one section per model (its `show`
//! report as tables, its plots, its scenarios), each a `maud` fragment (escaped at compile
//! time).

use maud::{html, Markup, PreEscaped};

use super::{ModelSection, Plot, RunReport, ScenarioData, ValidationData};
use crate::journal::RunStatus;
use crate::results::model::confidence_percent;
use crate::results::model::{ATTRIBUTION_NOTE, SENSITIVITY_NOTE};
use crate::results::table::CellText;
use crate::results::table::{fmt_real, Cell, Table};

/// The CSS class of a verdict cell, so passes, failures and "not applicable" read at a glance.
fn verdict_class(text: &str) -> &'static str {
    if text == "FAIL" || text.starts_with("wrong") {
        "fail"
    } else if text.starts_with("pass")
        || text.starts_with("significant")
        || text.contains("sign ok")
        || matches!(
            text,
            "stationary" | "in range" | "homoscedastic" | "normal" | "no autocorrelation"
        )
    {
        "ok"
    } else if text.starts_with("not ") {
        "na"
    } else {
        ""
    }
}

/// A cell of column `column`: numbers as the terminal shows them (fractions as percentages;
/// `fraction` marks a column of fractions whose name does not say so).
fn cell(column: &str, c: &Cell, fraction: bool) -> Markup {
    match c {
        Cell::Real(_) | Cell::Int(_) => {
            html! { td.num { (crate::results::table::human_in_column(column, c, fraction)) } }
        }
        Cell::Null => html! { td {} },
        Cell::Text(t) => {
            let class = verdict_class(t);
            if class.is_empty() {
                html! { td { (t) } }
            } else {
                html! { td class=(class) { (t) } }
            }
        }
        Cell::Blob(_) => html! { td { (c.human()) } },
    }
}

/// A result table as HTML; `drop` leaves columns out (by name).
pub fn table(t: &Table, drop: &[&str]) -> Markup {
    table_with(t, drop, &[])
}

/// [`table`], with the columns named in `fractions` shown as percentages too.
pub fn table_with(t: &Table, drop: &[&str], fractions: &[&str]) -> Markup {
    let keep: Vec<usize> = (0..t.columns.len())
        .filter(|&i| !drop.contains(&t.columns[i].as_str()))
        .collect();
    // Many columns: tighter cells, so the table fits the page column (A4 too).
    let wide = keep.len() > 9;
    html! {
        table.wide[wide] {
            thead { tr { @for &i in &keep { th { (t.columns[i].replace('_', " ")) } } } }
            tbody {
                @for r in &t.rows {
                    tr { @for &i in &keep {
                        (cell(&t.columns[i], &r[i], fractions.contains(&t.columns[i].as_str())))
                    } }
                }
            }
        }
    }
}

/// A plot as a figure: the SVG inline, its series listed in `data-series` (name=colour pairs)
/// for readers and the browser test.
pub fn figure(p: &Plot, id: &str) -> Markup {
    figure_of_class(p, id, "plot")
}

/// [`figure`] with the classes `class` (the validation's figures are `plot validation`).
pub(super) fn figure_of_class(p: &Plot, id: &str, class: &str) -> Markup {
    let series: Vec<String> = p.series.iter().map(|(n, c)| format!("{n}={c}")).collect();
    html! {
        figure class=(class) id=(id) data-kind=(p.kind) data-series=(series.join(";")) {
            (PreEscaped(&p.svg))
            figcaption { strong { (p.title) ". " } (p.caption) }
        }
    }
}

fn status_banner(r: &RunReport) -> Markup {
    let c = &r.counts;
    let pct = if r.run.spec_count > 0 {
        100.0 * c.evaluated as f64 / r.run.spec_count as f64
    } else {
        100.0
    };
    let state = match (r.run.status, r.coordinator_alive) {
        (RunStatus::Running, Some(true)) => "still running",
        (RunStatus::Running, _) => {
            "running when last seen (its coordinator is gone; `specsearch run` resumes it)"
        }
        (RunStatus::Interrupted, _) => "interrupted (`specsearch run` resumes it)",
        (RunStatus::Failed, _) => "failed",
        (RunStatus::Complete, _) => "complete",
    };
    html! {
        @if r.is_partial() {
            div.banner.partial {
                strong { "Partial report. " }
                "The run is " (state) ": " (c.evaluated) " of " (r.run.spec_count)
                " specs evaluated (" (fmt_real(pct)) "%). Counts, failures and the ranking "
                "below are those of the specs evaluated so far"
                @if r.provisional_ranking { ", ranked now with the run's weights" }
                "; they change as the run goes on."
            }
        }
        @if r.run.status == RunStatus::Failed {
            div.banner.fail {
                strong { "The run failed. " }
                (r.run.status_detail.clone().unwrap_or_default())
            }
        }
        @if c.passed == 0 {
            div.banner.empty {
                strong { "No model passed. " }
                "None of the " (c.evaluated) " specs evaluated passed every filter, so there is "
                "no ranking and no model section; the failures below say where specs stopped."
            }
        }
    }
}

/// The run: what was searched, on which data, with what outcome and how long it took.
pub fn run_section(r: &RunReport) -> Markup {
    let run = &r.run;
    let c = &r.counts;
    let share = |n: u64| {
        if c.evaluated > 0 {
            format!("{}%", fmt_real(100.0 * n as f64 / c.evaluated as f64))
        } else {
            "-".into()
        }
    };
    let sources: Vec<(String, String)> = r
        .manifest
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(k, _)| k.starts_with("source."))
        .map(|(_, v)| match v.rsplit_once(" sha256:") {
            Some((path, hash)) => (path.to_string(), hash.to_string()),
            None => (v.clone(), String::new()),
        })
        .collect();
    let failures_plot = (!r.failures.is_empty())
        .then(|| super::plots::failures_by_test(&r.failures))
        .transpose();
    html! {
        section #run {
            h2 { "1. The run" }
            (status_banner(r))
            table.facts {
                tbody {
                    tr { th { "run" } td { (run.name) " (id " (run.run_id) ")" } }
                    tr { th { "status" } td { (run.status.as_str()) } }
                    tr { th { "config" } td { code { (run.config_path) } } }
                    tr { th { "target" } td { code { (run.target) }
                         " (" (if run.target_stationary { "stationary" } else { "non-stationary" })
                         " by the pretests)" } }
                    tr { th { "specs" } td { (run.spec_count) " planned, " (c.evaluated) " evaluated" } }
                    tr { th { "outcomes" } td {
                        (c.passed) " passed (" (share(c.passed)) "), "
                        (c.filtered) " filtered (" (share(c.filtered)) "), "
                        (c.errors) " errors (" (share(c.errors)) ")" } }
                    tr { th { "distinct passed models" } td { (r.ranked_total) } }
                    tr { th { "created" } td { (run.created_at) } }
                    tr { th { "finished" } td { (run.finished_at.clone().unwrap_or_else(|| "-".into())) } }
                    tr { th { "config hash" } td { code { (run.search_hash) } } }
                    tr { th { "bundle hash" } td { code { (run.bundle_hash) } } }
                    @if let Some((i, n)) = run.shard {
                        tr { th { "shard" } td { (i) " of " (n) } }
                    }
                }
            }
            h3 { "Data" }
            @if sources.is_empty() {
                p.note { "Input files: not available ("
                    (r.manifest_note.clone().unwrap_or_else(|| "the manifest lists none".into())) ")." }
            } @else {
                table {
                    thead { tr { th { "input file" } th { "sha256" } } }
                    tbody { @for (p, h) in &sources { tr { td { code { (p) } } td { code.hash { (h) } } } } }
                }
            }
            h3 { "Failures by test" }
            @match failures_plot {
                Ok(Some(p)) => { (figure(&p, "plot-failures")) (table(&r.failures_table, &[])) }
                Ok(None) => { p.note { "No spec was filtered." } }
                Err(e) => { p.note { "The chart could not be drawn: " (format!("{e:#}")) } }
            }
            @if !r.errors.rows.is_empty() {
                h3 { "Errors" }
                (table(&r.errors, &[]))
            }
            h3 { "Timing" }
            @if r.sessions.rows.is_empty() {
                p.note { "No session recorded." }
            } @else {
                (table(&r.sessions, &[]))
            }
            @if let Some(text) = &r.config_text {
                details {
                    summary { "The config as the run recorded it" }
                    pre.config { (text) }
                }
            }
        }
    }
}

/// The ranking table.
pub fn ranking_section(r: &RunReport) -> Markup {
    // The incumbent and benchmark rows below the ranked ones are marked by text in `rank`.
    let ranked = r
        .ranking
        .rows
        .iter()
        .filter(|row| row.first().and_then(|c| c.as_i64()).is_some())
        .count();
    html! {
        section #ranking {
            h2 { "2. Ranking" }
            @if ranked == 0 {
                p.note { "No ranked model: no spec has passed (yet)." }
            } @else {
                p {
                    "The " (ranked) " best of " (r.ranked_total)
                    " distinct passed models"
                    @if r.provisional_ranking { " (ranked now with the run's weights: the run has not finished)" }
                    ". Score: the composite of fit, in-sample and out-of-sample error scores, "
                    "min–max normalised over the passed set. Rows marked incumbent and "
                    "benchmark are not ranked: the incumbent's score is the one it would get "
                    "against the passed set; oos_rmse_vs_best_benchmark below 1 beats the "
                    "best benchmark; key is the model's spec key (`specsearch show KEY`)."
                }
                (table(&r.ranking, &[]))
            }
        }
    }
}

/// The scenario forecasts of a model: the fan (history plus each scenario's level path) and
/// the statistics table, or a note saying why there are none.
pub fn scenarios(id: &str, data: &ScenarioData) -> Markup {
    html! {
        div.scenarios id=(format!("{id}-scenarios")) {
            h4 { "Scenario forecasts" }
            @if let Some(about) = &data.about { p.subtitle { (about) } }
            @if let Some(fan) = &data.fan { (figure(fan, &format!("{id}-scenarios-fan"))) }
            @if let Some(stats) = &data.stats {
                p.note { "Levels at P0 (actual), P4, P9, P12; CAGR = (P_q / P0)^(4/q) − 1; 9Q \
                    change and % change from P0; % difference from the base scenario at P9; \
                    the ordering check of scenarios.order (it never changes which models pass)." }
                (table(stats, &[]))
            }
            @if let Some(note) = &data.note { p.note { (note) "." } }
        }
    }
}

/// The validation of a model (docs/semantics.md §10): the fan with its bands, each feature's
/// shocked paths, the sensitivity table, the attribution chart and table, the drivers'
/// paths; or a note saying why there is none.
pub fn validation(id: &str, data: &ValidationData) -> Markup {
    let fig = |p: &Plot, n: usize| {
        figure_of_class(
            p,
            &format!("{id}-validation-{}-{n}", p.kind),
            "plot validation",
        )
    };
    let plots = |ps: &[Plot]| {
        html! {
            div.plots {
                @for (n, p) in ps.iter().enumerate() { (fig(p, n + 1)) }
            }
        }
    };
    html! {
        div.validation id=(format!("{id}-validation")) {
            h4 { "Validation: uncertainty, sensitivity, attribution, drivers" }
            @if let Some(about) = &data.about { p.subtitle { (about) } }
            @if let Some(note) = &data.note { p.note { (note) "." } }
            @if let Some(b) = &data.bands { (fig(b, 1)) }
            @if !data.sensitivity.is_empty() {
                p { "Sensitivity of the level under " (data.sensitivity_scenarios.join(", "))
                    " (report --all-scenarios draws every scenario). Feature shocks move the                     feature itself (the transformed, lagged column), not the raw series." }
                (plots(&data.sensitivity))
            }
            @if let Some(t) = data.sensitivity_table.as_ref().filter(|t| !t.rows.is_empty()) {
                p.note { (SENSITIVITY_NOTE) }
                (table(t, &[]))
            }
            @if let Some(a) = &data.attribution { (fig(a, 1)) }
            @if let Some(t) = data.attribution_table.as_ref().filter(|t| !t.rows.is_empty()) {
                @if data.attribution.is_none() { p.note { (ATTRIBUTION_NOTE) } }
                (table(t, &[]))
            }
            @if !data.drivers.is_empty() {
                p { "The model's drivers (the data series its features are computed from): \
                    history up to p0 and each scenario after it." }
                (plots(&data.drivers))
            }
            @for n in &data.plot_notes { p.note { (n) "." } }
        }
    }
}

/// One model: its report (the tables of `show`), its plots, its scenarios.
pub fn model_section(m: &ModelSection, number: usize) -> Markup {
    let rep = &m.report;
    let id = format!("model-{}", rep.spec_index.unwrap_or(0));
    let features: Vec<&str> = rep.features.iter().map(|f| f.name.as_str()).collect();
    let heading = match rep.rank {
        Some(r) => format!("Rank {r}: spec {}", rep.spec_index.unwrap_or(0)),
        None => format!("Spec {}", rep.spec_index.unwrap_or(0)),
    };
    html! {
        section.model id=(id) {
            h3 { "3." (number) " " (heading) }
            p.features { (features.join(" + ")) }
            p.subtitle { (rep.subtitle()) }
            p { "status " strong { (rep.status.as_str()) }
                @if let Some(f) = rep.failed_test { ", failed at " (f.name()) }
                @if let Some(s) = rep.score { ", score " (fmt_real(s)) } }
            @if let Some(msg) = &rep.message { p.note { (msg) } }
            @if rep.outcome.is_none() {
                p.note { "The journal keeps full statistics for passed models only." }
                (table(&rep.features_table(), &[]))
            } @else {
                div.plots {
                    @for p in &m.plots {
                        (figure(p, &format!("{id}-{}", p.kind)))
                    }
                }
                @if let Some(note) = &m.plot_note {
                    p.note { "No plots: " (note) }
                }
                h4 { "Coefficients (" (confidence_percent(rep.alpha)) "% confidence intervals)" }
                (table(&rep.coefficients(), &[]))
                div.cols {
                    div {
                        h4 { "Model" }
                        @if rep.summary.is_some() {
                            (table(&rep.model_statistics(), &[]))
                        } @else {
                            p.note { "Not available: " (rep.data_note.clone().unwrap_or_default()) }
                        }
                    }
                    div {
                        h4 { "Fit" }
                        (table(&rep.fit(), &[]))
                    }
                }
                h4 { "In-sample fit and full-sample refit" }
                @match &m.fits {
                    Ok(t) => {
                        p.note { "The refit uses every row up to the end of the out-of-sample \
                                  window (outlier dates left out) with the same covariance rule; \
                                  filters and ranking use the in-sample fit." }
                        (table(t, &[]))
                    }
                    Err(e) => p.note { "No full-sample refit: " (e) },
                }
                h4 { "Tests" }
                (table(&rep.tests(), &[]))
                h4 { "Features (definitions from " (rep.definitions_from) ")" }
                (table(&rep.features_table(), &[]))
                @if rep.summary.is_some() {
                    details {
                        summary { "Covariance of the coefficients" }
                        (table(&rep.covariance_table(), &[]))
                    }
                }
                (scenarios(&id, &m.scenarios))
                (validation(&id, &m.validation))
                (super::stability_section::section(&id, rep, &m.stability))
            }
        }
    }
}

/// The run compared with another (`report --compare`): what changed in the inputs, the models
/// that entered, left or moved, and the coefficient drift of the models in both.
pub fn comparison_section(c: &crate::results::compare::Comparison) -> Markup {
    let (entered, left, moved) = c.counts();
    let run = |col: &str| c.runs.get(0, col).as_str().unwrap_or_default().to_string();
    let mut changed = c.models.clone();
    changed
        .rows
        .retain(|r| r[1].as_str() != Some("both") || r[4].as_i64().is_some_and(|m| m != 0));
    // Entered first, then left, then moved (each in its run's rank order).
    changed.rows.sort_by_key(|r| match r[1].as_str() {
        Some("entered") => 0,
        Some("left") => 1,
        _ => 2,
    });
    changed.rows.truncate(30);
    let mut drift = c.coefficients.clone();
    drift
        .rows
        .retain(|r| r[4].as_f64().is_none_or(|v| v != 0.0));
    drift.rows.sort_by(|x, y| {
        y[5].as_f64()
            .map_or(f64::INFINITY, f64::abs)
            .total_cmp(&x[5].as_f64().map_or(f64::INFINITY, f64::abs))
    });
    drift.rows.truncate(30);
    html! {
        section #comparison {
            h2 { "Compared with run " (run("a")) }
            p {
                "Run " (run("b")) " (this report) against run " (run("a")) ": models matched by "
                (c.matched_by) "; " (entered) " entered the ranked set, " (left) " left it, "
                (moved) " moved. The same comparison in full: "
                code { "specsearch compare" } "."
            }
            h3 { "Inputs" }
            (table(&c.inputs, &[]))
            @if !c.config_diff.is_empty() {
                h3 { "Config (− before, + now)" }
                pre { (c.config_diff.join("\n")) }
            }
            h3 { "Models entered, left or moved (first 30)" }
            @if changed.rows.is_empty() { p.note { "None." } } @else { (table(&changed, &[])) }
            h3 { "Coefficient drift of models in both (largest relative change first, 30)" }
            @if drift.rows.is_empty() { p.note { "No coefficient changed." } } @else { (table(&drift, &[])) }
        }
    }
}
