//! `edgesim link`: the link budget at given distances (MODEL.md §14).

use crate::common::edgesim;

fn run(args: &[&str]) -> (i32, String, String) {
    let o = edgesim().arg("link").args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn json_budget_by_hand() {
    let (code, out, err) = run(&["-d", "100,1000", "--json", "--set", "users.tx_power_dbm=23"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = &v["distances"];
    // UMa LOS at 100 m, 3.5 GHz: PL1 = 28 + 22·log10(102.724 145) + 20·log10(3.5) = 83.138 157 dB
    // (sim-models radio/path_loss.rs, each step checked in Python).
    let pl = d[0]["los"]["path_loss_db"].as_f64().unwrap();
    assert!((pl - 83.138_157).abs() < 1e-5, "{pl}");
    // UMa NLOS at 1000 m: 141.666 046 dB; uplink SNR 23 − 141.666 046 + 100.989 700 − 5
    // = −22.676 346 dB, below CQI 1 (−9.53 dB): CQI 0.
    let nlos = &d[1]["nlos"];
    assert!((nlos["path_loss_db"].as_f64().unwrap() - 141.666_046).abs() < 1e-5);
    assert!((nlos["up"]["snr_db"].as_f64().unwrap() + 22.676_346).abs() < 1e-5);
    assert_eq!(nlos["up"]["cqi"], 0);
    // Shannon up, Γ = 0 dB: log2(1 + 10^−2.267 634 6) = 0.007 769 09 b/s/Hz; the prompt
    // (512·16 = 8192 bits) over 20 MHz takes 8192/(2·10⁷·0.007 769 09) = 0.052 721 8 s (Python).
    let t = d[1]["send_time_s"]["nlos_up"].as_f64().unwrap();
    assert!((t - 0.052_721_8).abs() < 1e-7, "{t}");
    assert!(v["link_budget_from"].as_str().unwrap().contains("defaults"));
}

#[test]
fn table_and_cqi_mapping() {
    let (code, out, err) = run(&[
        "-d",
        "1000",
        "--set",
        "channel.model.spectral=Cqi()",
        "--set",
        "users.tx_power_dbm=23",
    ]);
    assert_eq!(code, 0, "{err}");
    // Under the CQI table the NLOS uplink at 1 km cannot carry the prompt.
    let nlos = out.lines().find(|l| l.contains("NLOS")).unwrap();
    assert!(nlos.contains('—'), "{out}");
}

#[test]
fn bad_input_exits_2() {
    let (code, _, err) = run(&["-d", "5"]);
    assert_eq!(code, 2);
    assert!(err.contains("--distance") && err.contains("5 m"), "{err}");
    let (code, _, err) = run(&["-d", "100", "--set", "channel.model.ut_height=30"]);
    assert_eq!(code, 2);
    assert!(err.contains("channel.model.ut_height"), "{err}");
    let (code, _, err) = run(&["-d", "100", "--tokens", "0"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(&[]);
    assert_eq!(code, 2);
}

/// Runs `edgesim run` (quiet) with `sets` into a temporary directory;
/// returns its summary.json and epochs.csv.
fn run_sim(scenario: Option<&str>, sets: &[&str]) -> (serde_json::Value, String) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = edgesim();
    cmd.args(["run", "-q", "--out"]).arg(tmp.path());
    if let Some(s) = scenario {
        cmd.arg(s);
    }
    for s in sets {
        cmd.args(["--set", s]);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(tmp.path().join("summary.json")).unwrap();
    let epochs = std::fs::read_to_string(tmp.path().join("epochs.csv")).unwrap_or_default();
    (serde_json::from_str(&summary).unwrap(), epochs)
}

#[test]
fn runs_report_the_radio() {
    // Epochs, every user at 1 km NLOS under the CQI table (uplink SE 0, see
    // json_budget_by_hand): nothing served, every pending user without a rate.
    let far = "channel.model=LinkBudget(placement: Distances([1000.0]), los: Nlos, \
               shadowing: false, fading: None, spectral: Cqi())";
    let (v, epochs) = run_sim(None, &["horizon=15", far]);
    assert_eq!(v["on_time"], 0);
    assert!(v["radio"]["se_up"].is_null(), "{}", v["radio"]);
    assert!(v["radio"]["no_rate"].as_u64().unwrap() > 0);
    assert_eq!(v["uplink_utilisation"], 0.0);
    let mut rows = csv::Reader::from_reader(epochs.as_bytes());
    let h = rows.headers().unwrap().clone();
    let (q, nr) = (
        h.iter().position(|c| c == "queue_len").unwrap(),
        h.iter().position(|c| c == "no_rate_users").unwrap(),
    );
    let mut blocked = 0;
    for r in rows.records() {
        let r = r.unwrap();
        // Every pending request's user is blocked, and there are at most U = 50 users.
        let (queue, users): (u64, u64) = (r[q].parse().unwrap(), r[nr].parse().unwrap());
        assert_eq!(queue == 0, users == 0);
        assert!(users <= 50);
        blocked += users;
    }
    assert!(blocked >= v["radio"]["no_rate"].as_u64().unwrap());
    // Continuous serving, every user at 35 m LOS (uplink SNR 41.4 dB at the
    // paper's 20 dBm, radio.md §8: CQI 15), no fading: every served upload
    // has CQI 15's 7.406 25 b/s/Hz, and the uplink's busy share is reported.
    let near = "channel.model=LinkBudget(placement: Distances([35.0]), los: Los, \
                shadowing: false, fading: None, spectral: Cqi())";
    let (v, _) = run_sim(
        Some(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scenarios/continuous/paper.ron"
        )),
        &["horizon=20", "arrivals.rate=5", near],
    );
    assert!(v["on_time"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["radio"]["se_up"]["mean"], 7.40625);
    let u = v["uplink_utilisation"].as_f64().unwrap();
    assert!(u > 0.0 && u < 0.01, "{u}");
}
