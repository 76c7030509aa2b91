//! A fleet, not one process: 1,000 managers built the ordinary way (no
//! seed in the policy, each with its own entropy) against one server that
//! accepts 50 requests/s and answers the rest `429` with `Retry-After: 10`,
//! through a deploy (all start within one second), a 60 s outage and a
//! rate-limit storm (every token rejected at once), for one virtual hour.
//! Oracle: what the server saw, second by second. Prints its figures with
//! `--nocapture`.

mod common;

use std::time::Duration;

use common::epoch;
use revault_auth_core::testing::{FleetReport, FleetScenario, fleet_config, run_fleet};

fn run(scenario: &FleetScenario) -> FleetReport {
    run_fleet(scenario, &fleet_config(), epoch())
}

fn print(label: &str, scenario: &FleetScenario, report: &FleetReport) {
    let n = scenario.retry_after.as_secs_f64();
    let share = |window: Duration| 100.0 * window.as_secs_f64() / n;
    println!(
        "fleet ({label}): {} managers, {:.0} requests/h ({} accepted, {} answered 429, {} refused \
         in the outage); after the outage: busiest second {} of {} requests ({:.1} %) over {} s; \
         returns after one Retry-After: {n:.0} s: deploy {} managers over {:.2} s ({:.0} % of N), \
         waits {:.2}..{:.2} s; storm {} managers over {:.2} s ({:.0} % of N), waits {:.2}..{:.2} s; \
         early returns {}; longest without a token {:.1} s (from {:.1} s); expired served {}, refresh reuse {}, \
         overlapping {}",
        scenario.managers,
        report.requests_per_hour,
        report.accepted,
        report.rate_limited,
        report.refused_in_outage,
        report.after_outage.iter().max().unwrap_or(&0),
        report.after_outage.iter().sum::<u32>(),
        100.0 * report.busiest_share_after_outage(),
        report.after_outage.len(),
        report.deploy_returns.managers,
        report.deploy_returns.window.as_secs_f64(),
        share(report.deploy_returns.window),
        report.deploy_returns.shortest_wait.as_secs_f64(),
        report.deploy_returns.longest_wait.as_secs_f64(),
        report.storm_returns.managers,
        report.storm_returns.window.as_secs_f64(),
        share(report.storm_returns.window),
        report.storm_returns.shortest_wait.as_secs_f64(),
        report.storm_returns.longest_wait.as_secs_f64(),
        report.early_returns,
        report.longest_without_token.as_secs_f64(),
        report.longest_without_token_from.as_secs_f64(),
        report.expired_served,
        report.refresh_reuse,
        report.overlapping,
    );
}

#[test]
fn a_fleet_through_a_deploy_an_outage_and_a_storm_stays_spread() {
    let scenario = FleetScenario::default();
    let report = run(&scenario);
    print("own seeds", &scenario, &report);
    let n = scenario.retry_after;
    assert!(
        report.refused_in_outage >= 100,
        "the outage hit a refresh wave"
    );
    assert!(
        report.busiest_share_after_outage() <= 0.10,
        "busiest second after the outage: {:.1} %",
        100.0 * report.busiest_share_after_outage()
    );
    for returns in [report.deploy_returns, report.storm_returns] {
        assert!(returns.managers >= 100, "{returns:?}");
        assert!(returns.shortest_wait >= n, "{returns:?}");
        assert!(returns.longest_wait <= n.mul_f64(1.2), "{returns:?}");
        assert!(returns.window >= n.mul_f64(0.2), "{returns:?}");
    }
    assert_eq!(report.early_returns, 0);
    assert_eq!(report.expired_served, 0);
    assert_eq!(report.refresh_reuse, 0);
    assert_eq!(report.overlapping, 0);
}

/// The same fleet with one seed for all (managers built with
/// `AuthCore::new`, or one seed in the policy) comes back at one instant:
/// the simulation can tell.
#[test]
fn a_fleet_in_lockstep_comes_back_at_one_instant() {
    let scenario = FleetScenario {
        lockstep: true,
        ..FleetScenario::default()
    };
    let report = run(&scenario);
    print("one seed", &scenario, &report);
    let n = scenario.retry_after;
    let deploy = report.deploy_returns;
    assert_eq!(deploy.shortest_wait, deploy.longest_wait, "{deploy:?}");
    assert!(deploy.window < n.mul_f64(0.2), "{deploy:?}");
}
