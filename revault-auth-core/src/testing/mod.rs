//! Test kit, behind the `testing` feature: a scripted in-memory revault-api,
//! a virtual-clock harness that drives an [`AuthCore`](crate::AuthCore)
//! against it, a fleet of cores against one rate-limited server
//! ([`run_fleet`]), and the script runner the fuzz targets and property
//! tests share. Use it to unit-test your own code with no network and no waiting.

mod fleet;
mod harness;
mod script;
mod server;
mod transport;

pub use fleet::{FleetReport, FleetScenario, ReturnSpread, fleet_config, run_fleet};
pub use harness::Harness;
pub use script::{
    ScriptReport, Step, check_invariants, fuzz_drive, fuzz_response, run_script, script_config,
};
pub use server::{Answer, Reply, ScriptedServer, ServerStats};
pub use transport::ScriptedTransport;
