//! `edgesim link`: the link budget of the scenario's radio (MODEL.md §14) at
//! given distances — path loss in LOS and NLOS with the LOS probability,
//! SNR, spectral efficiency (Shannon and CQI) and the time to send a prompt
//! with the whole band — so a link budget can be checked by hand.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use sim_core::RngStreams;
use sim_models::radio::{self, ChannelModel, DistanceBudget, LinkBudget, LinkBudgetSpec};
use sim_models::Scenario;
use tools::failure::bad_input;
use tools::scenario_file as load;

/// Options of `link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// Scenario file (RON); the built-in default without one. A scenario on
    /// the paper's channel gets `channel.model: LinkBudget()` (its defaults) first.
    pub scenario: Option<PathBuf>,
    /// Override a scenario field by its dotted path (repeatable), e.g.
    /// `--set channel.model.carrier_ghz=28`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// 2D distances to the base station, m, comma-separated or repeated (each in [10, 5000]).
    #[arg(long = "distance", short = 'd', value_delimiter = ',', required = true)]
    pub distances: Vec<f64>,
    /// Prompt length `s`, tokens, sent up and down for the times.
    #[arg(long, default_value_t = 512)]
    pub tokens: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One distance with its send times.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    budget: DistanceBudget,
    /// Time to send the prompt up / down with the whole band, s, in LOS and NLOS
    /// (`null` where SE = 0: cannot transmit).
    send_time_s: Times,
}

#[derive(Serialize)]
struct Times {
    los_up: f64,
    los_down: f64,
    nlos_up: f64,
    nlos_down: f64,
}

#[derive(Serialize)]
struct Report<'a> {
    scenario: &'a str,
    /// Whether the link budget is the scenario's own or `LinkBudget()` added to a `Paper` channel.
    link_budget_from: &'a str,
    spec: &'a LinkBudgetSpec,
    ue_power_dbm: f64,
    bs_power_dbm: f64,
    bandwidth_up_hz: f64,
    bandwidth_down_hz: f64,
    noise_dbm_per_hz: f64,
    tokens: u32,
    token_bits: u32,
    distances: Vec<Row>,
}

/// The text `link` prints.
///
/// # Errors
/// Bad input (exit 2) for an unreadable or invalid scenario, an override
/// that does not apply, or a distance outside [10 m, 5 km].
pub fn run(a: &LinkArgs) -> anyhow::Result<String> {
    let origin = load::origin(a.scenario.as_deref());
    let mut s: Scenario = load::scenario(a.scenario.as_ref(), &[], None)?;
    let from = if s.channel.model == ChannelModel::Paper {
        s.channel.model = ChannelModel::LinkBudget(LinkBudgetSpec::default());
        "LinkBudget() defaults, the scenario's channel being Paper"
    } else {
        "scenario"
    };
    for set in &a.set {
        s.apply_assignment(set)
            .map_err(|e| load::scenario_error(&origin, e))?;
    }
    let sys = s.resolve().map_err(|e| load::scenario_error(&origin, e))?;
    for (i, d) in a.distances.iter().enumerate() {
        if !(radio::MIN_D2D..=radio::MAX_D2D).contains(d) {
            return Err(bad_input(format!(
                "--distance: value {} is {d} m; TR 38.901 Table 7.4.1-1 covers [10, 5000] m",
                i + 1
            )));
        }
    }
    if a.tokens == 0 {
        return Err(bad_input("--tokens: must be ≥ 1"));
    }
    let lb: LinkBudget = sys
        .link_budget(&RngStreams::new(sys.seed))
        .expect("the channel model was set to a link budget above");
    let bits = a.tokens as f64 * sys.token_bits as f64;
    let time = |d: &radio::Direction| radio::send_time_s(bits, d.bandwidth_hz, d.se);
    let rows: Vec<Row> = a
        .distances
        .iter()
        .map(|d| {
            let b = lb.budget_at(*d);
            let send_time_s = Times {
                los_up: time(&b.los.up),
                los_down: time(&b.los.down),
                nlos_up: time(&b.nlos.up),
                nlos_down: time(&b.nlos.down),
            };
            Row {
                budget: b,
                send_time_s,
            }
        })
        .collect();
    let report = Report {
        scenario: &s.name,
        link_budget_from: from,
        spec: lb.spec(),
        ue_power_dbm: s.users.tx_power_dbm,
        bs_power_dbm: s.channel.bs_power_dbm,
        bandwidth_up_hz: s.channel.bandwidth_up,
        bandwidth_down_hz: s.channel.bandwidth_down,
        noise_dbm_per_hz: s.channel.noise_dbm_per_hz,
        tokens: a.tokens,
        token_bits: sys.token_bits,
        distances: rows,
    };
    if a.json {
        return Ok(serde_json::to_string_pretty(&report)?);
    }
    Ok(table(&report))
}

fn ms(t: f64) -> String {
    if t.is_finite() {
        format!("{:.3}", t * 1e3)
    } else {
        "—".into()
    }
}

fn table(r: &Report) -> String {
    let sp = r.spec;
    let mut out = format!(
        "link budget from the {}: {:?}, f_c {} GHz, h_BS {} m, h_UT {} m; p^U {} dBm, p^D {} dBm; \
         B^U {} MHz, B^D {} MHz; N0 {} dBm/Hz, NF BS {} dB / UE {} dB; \
         no shadowing, no fading; prompt {} tokens × {} bits\n",
        r.link_budget_from,
        sp.environment,
        sp.carrier_ghz,
        sp.bs_height(),
        sp.ut_height,
        r.ue_power_dbm,
        r.bs_power_dbm,
        r.bandwidth_up_hz / 1e6,
        r.bandwidth_down_hz / 1e6,
        r.noise_dbm_per_hz,
        sp.bs_noise_figure_db,
        sp.ue_noise_figure_db,
        r.tokens,
        r.token_bits,
    );
    out.push_str(&format!(
        "{:>8} {:>6} {:>4} {:>8} {:>8} {:>7} {:>4} {:>7} {:>9} {:>8} {:>7} {:>4} {:>7} {:>9}\n",
        "d2D m",
        "P_LOS",
        "",
        "PL dB",
        "SNRu dB",
        "SEu Sh",
        "CQIu",
        "SEu CQI",
        "t_up ms",
        "SNRd dB",
        "SEd Sh",
        "CQId",
        "SEd CQI",
        "t_down ms"
    ));
    for row in &r.distances {
        let b = &row.budget;
        for (name, p, tu, td) in [
            (
                "LOS",
                &b.los,
                row.send_time_s.los_up,
                row.send_time_s.los_down,
            ),
            (
                "NLOS",
                &b.nlos,
                row.send_time_s.nlos_up,
                row.send_time_s.nlos_down,
            ),
        ] {
            out.push_str(&format!(
                "{:>8.1} {:>6.3} {:>4} {:>8.2} {:>8.2} {:>7.4} {:>4} {:>7.4} {:>9} {:>8.2} {:>7.4} {:>4} {:>7.4} {:>9}\n",
                b.d2d,
                b.los_probability,
                name,
                p.path_loss_db,
                p.up.snr_db,
                p.up.se_shannon,
                p.up.cqi,
                p.up.se_cqi,
                ms(tu),
                p.down.snr_db,
                p.down.se_shannon,
                p.down.cqi,
                p.down.se_cqi,
                ms(td),
            ));
        }
    }
    out.push_str("times use the scenario's mapping (spectral); — = SE 0, cannot transmit");
    out
}
