//! `show-model` on the bundled demo against statsmodels (tests/golden/gen_demo_models.py): the
//! whole pipeline — CSV loading, quarterly calendar, growth/difference/lag transforms, quarter
//! dummies, covariance choice and the fit — checked end to end.

use std::path::Path;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn close(got: f64, want: f64, what: &str) {
    let tol = 1e-8 * want.abs().max(1e-4);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, statsmodels {want}"
    );
}

#[test]
fn demo_models_match_statsmodels() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/golden/demo_models.json")).unwrap(),
    )
    .unwrap();
    // A private copy of the demo, so the test never writes into the source tree.
    let (_dir, config) = crate::common::demo_copy();

    for (name, want) in golden.as_object().unwrap() {
        let features: Vec<&str> = want["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let out = std::process::Command::cargo_bin("specsearch")
            .unwrap()
            .args(["show-model", "--json", "--features", &features.join(",")])
            .arg(&config)
            .output()
            .unwrap();
        crate::common::assert_ok(&out);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let o = &doc["detail"];
        assert!(o.is_object(), "{name}: detail is a JSON object");
        assert_eq!(o["nobs"].as_u64(), want["nobs"].as_u64(), "{name}: nobs");
        assert_eq!(o["cov_type"], want["cov_type"], "{name}: covariance");
        for key in ["params", "bse", "pvalues"] {
            let (got, exp) = (
                crate::common::floats(&o[key]),
                crate::common::floats(&want[key]),
            );
            assert_eq!(got.len(), exp.len(), "{name}: {key}");
            for (i, (g, e)) in got.iter().zip(&exp).enumerate() {
                close(*g, *e, &format!("{name}: {key}[{i}]"));
            }
        }
        close(
            o["r2"].as_f64().unwrap(),
            want["rsquared"].as_f64().unwrap(),
            name,
        );
        close(
            o["adj_r2"].as_f64().unwrap(),
            want["rsquared_adj"].as_f64().unwrap(),
            name,
        );
        close(
            o["dw"].as_f64().unwrap(),
            want["durbin_watson"].as_f64().unwrap(),
            name,
        );
    }
}

#[test]
fn unknown_feature_is_a_clear_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::cargo_bin("specsearch")
        .unwrap()
        .args(["show-model", "--workspace"])
        .arg(tempfile::tempdir().unwrap().path())
        .args(["--features", "realgdp_QQGR9"])
        .arg(root.join("examples/demo/search.toml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("realgdp_QQGR9") && stderr.contains("not a frozen column"),
        "{stderr}"
    );
}

#[test]
fn verdicts_use_the_configs_thresholds() {
    let (_dir, config) = crate::common::demo_copy();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n[filters]\nmax_vif = 1.2\n")).unwrap();
    let out = crate::common::specsearch()
        .args([
            "show-model",
            "--features",
            "realgdp_QQGR,realdpi_QQGR4,tbilrate_QQDF_L1",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let stdout = crate::common::assert_ok(&out);
    // VIFs of 1.27 and 1.24 (see demo_models_match_statsmodels' model) exceed 1.2.
    assert!(stdout.contains("every VIF ≤ 1.2"), "{stdout}");
    assert!(stdout.contains("failed at Multicollinearity"), "{stdout}");
    // The filters after the failure were never reached: not "passed".
    let sign = stdout
        .lines()
        .find(|l| l.starts_with("7 Sign Check"))
        .unwrap();
    assert!(
        sign.contains("not reached (failed at Multicollinearity)"),
        "{sign}"
    );
}
