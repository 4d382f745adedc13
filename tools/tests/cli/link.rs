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
