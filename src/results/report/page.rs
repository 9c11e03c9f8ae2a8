//! The report's document: head with the inline style sheet (screen and A4 print), title
//! block, contents, and the sections.

use maud::{html, PreEscaped, DOCTYPE};

use super::{sections, RunReport};

/// Screen and print styles. Print: A4 with 15 mm margins, each model starting on a new page,
/// no figure or table row split across pages.
const STYLE: &str = r#"
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d0d4d9; --ok: #1e7b34; --fail: #b3261e; --na: #6b6b6b; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       max-width: 190mm; margin: 0 auto; padding: 16px 18px 40px; font-size: 13px; line-height: 1.45; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--ink); padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 15px; margin: 22px 0 6px; }
h4 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
p.lead { color: var(--muted); margin: 0 0 12px; }
p.note { color: var(--muted); font-style: italic; }
p.features { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; margin: 2px 0; }
p.subtitle { white-space: pre-line; color: var(--muted); margin: 2px 0 6px; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 11.5px; }
code.hash { font-size: 10.5px; word-break: break-all; }
pre.config { background: #f6f7f8; border: 1px solid var(--rule); padding: 8px; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 11.5px; width: 100%; }
th, td { padding: 2px 6px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
thead th { border-bottom: 1.5px solid var(--ink); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap;
         overflow-wrap: normal; }
td.ok { color: var(--ok); } td.fail { color: var(--fail); font-weight: 600; } td.na { color: var(--na); font-style: italic; }
table.facts { width: auto; } table.facts th { font-weight: 600; padding-right: 18px; }
table.wide th, table.wide td { padding: 2px 3px; font-size: 10.5px; }
.banner { padding: 8px 12px; border-left: 4px solid; margin: 8px 0 12px; }
.banner.partial { border-color: #e8a200; background: #fff8e1; }
.banner.empty { border-color: #5f6368; background: #f1f3f4; }
.banner.fail { border-color: var(--fail); background: #fdecea; }
figure.plot { margin: 8px 0 14px; }
figure.plot svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 11.5px; color: var(--muted); margin-top: 2px; }
.plots { display: flex; flex-wrap: wrap; justify-content: space-between; }
.plots figure { flex: 0 0 100%; }
.plots figure[data-kind="acf"], .plots figure[data-kind="histogram"] { flex: 0 0 49%; }
.plots figure[data-kind="sensitivity"], .plots figure[data-kind="driver"] { flex: 0 0 49%; }
.plots figure[data-kind="recursive"], .plots figure[data-kind^="cusum"] { flex: 0 0 49%; }
.cols { display: flex; gap: 16px; } .cols > div { flex: 1; }
nav ol { margin: 4px 0; padding-left: 20px; columns: 2; font-size: 12px; }
details summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
footer { margin-top: 30px; color: var(--muted); font-size: 11px; border-top: 1px solid var(--rule); padding-top: 6px; }
@page { size: A4; margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5px; }
  table { font-size: 9.5px; }
  section.model { break-before: page; }
  figure, tr, .banner { break-inside: avoid; }
  details > *:not(summary) { display: block; }
  nav { display: none; }
}
"#;

/// The whole document.
pub fn render(r: &RunReport) -> String {
    let title = format!("Model report: {} ({})", r.run.name, r.run.target);
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content=(format!("specsearch {}", env!("CARGO_PKG_VERSION")));
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (title) }
                    p.lead {
                        "Exhaustive OLS model search of " code { (r.run.target) } ": "
                        (r.run.spec_count) " specs planned. Generated " (r.generated_at)
                        " by specsearch " (env!("CARGO_PKG_VERSION")) " from "
                        code { (r.run.config_path) } "."
                        @if r.is_partial() { " " strong { "Partial: the run has not finished." } }
                    }
                }
                nav {
                    strong { "Contents" }
                    ol {
                        li { a href="#run" { "The run" } }
                        li { a href="#ranking" { "Ranking" } }
                        @for m in &r.models {
                            li { a href=(format!("#model-{}", m.report.spec_index.unwrap_or(0))) {
                                @match m.report.rank {
                                    Some(k) => { "Rank " (k) }
                                    None => { "Spec " (m.report.spec_index.unwrap_or(0)) }
                                }
                                ": " (m.report.features.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "))
                            } }
                        }
                    }
                }
                (sections::run_section(r))
                (sections::ranking_section(r))
                @if let Some(c) = &r.comparison { (sections::comparison_section(c)) }
                section #models {
                    h2 { "3. Models" }
                    @if r.models.is_empty() {
                        p.note { "No model section: "
                            @if r.counts.passed == 0 { "no model has passed." } @else { "none was selected." } }
                    }
                    @for (i, m) in r.models.iter().enumerate() {
                        (sections::model_section(m, i + 1))
                    }
                }
                footer {
                    "Everything on this page comes from " code { "journal.sqlite" } " and "
                    code { "features.duckdb" } " of the run's workspace; "
                    code { "specsearch show" } ", " code { "series" } " and " code { "top" }
                    " print the same numbers. Coefficients are the journal's; the summary "
                    "statistics are recomputed from the frozen data, which reproduce them."
                }
            }
        }
    };
    doc.into_string()
}
