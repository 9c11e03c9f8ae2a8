//! Scenario tables for the benchmarks that project (`forecast`, `validation`): included with
//! `#[path = "support/scenarios.rs"] mod scenarios;`.

use std::fmt::Write as _;

/// Writes Base / Adverse / Severe monthly tables for the 36 months after the data's last month
/// (each driver's last value, shifted up by a ramp of 0, 0.5 and 1.5 points over a year) and
/// appends the `[scenarios]` section to the config.
pub fn add_scenarios(config: &std::path::Path) {
    let dir = config.parent().unwrap();
    let mevs = std::fs::read_to_string(dir.join("mevs_monthly.csv")).unwrap();
    let mut lines = mevs.lines();
    let header = lines.next().unwrap().to_string();
    let last = lines.last().unwrap();
    let mut cells = last.split(',');
    let last_date = chrono::NaiveDate::parse_from_str(cells.next().unwrap(), "%Y-%m-%d").unwrap();
    let values: Vec<f64> = cells.map(|c| c.parse().unwrap()).collect();
    let mut sets = Vec::new();
    for (name, shift) in [("Base", 0.0), ("Adverse", 0.5), ("Severe", 1.5)] {
        let mut csv = format!("{header}\n");
        let mut d = last_date;
        for m in 1..=36 {
            d = specsearch::scenario::inputs::period_end_after(
                d,
                1,
                specsearch::data::Frequency::Monthly,
            );
            write!(csv, "{d}").unwrap();
            for v in &values {
                write!(csv, ",{:.6}", v + shift * (m.min(12) as f64 / 12.0)).unwrap();
            }
            csv.push('\n');
        }
        let file = format!("scenario_{}.csv", name.to_lowercase());
        std::fs::write(dir.join(&file), csv).unwrap();
        sets.push(format!(
            "{{ name = \"{name}\", tables = [{{ path = \"{file}\" }}] }}"
        ));
    }
    let mut text = std::fs::read_to_string(config).unwrap();
    write!(
        text,
        "\n[scenarios]\np0 = \"{last_date}\"\nhorizon = 12\norder = [\"Base\", \"Adverse\", \
         \"Severe\"]\nset = [{}]\n",
        sets.join(", ")
    )
    .unwrap();
    std::fs::write(config, text).unwrap();
}
