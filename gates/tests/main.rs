//! The gates crate's integration tests, one module per file beside this one, in one
//! test binary (one link of the library instead of one per file).

mod all_of;
mod cache;
mod ci;
mod ci_github_summary;
mod closure;
mod closure_cleanup;
mod closure_git;
mod closure_later;
mod closure_prose;
mod closure_rules;
mod example_pipeline;
mod executor;
mod fuzz_bodies;
mod generic_checks;
mod guard;
mod harness;
mod harness_cases;
mod host_gates;
mod layers;
mod manifest_gates;
mod pipeline_load;
mod pipeline_phase;
mod probe_completeness;
mod report_locations;
mod route_probe;
mod rules;
mod setup;
mod team_prep;
mod workbreakdown_drift;

// What the modules above share.
mod closure_support;
mod fixture_tree;
mod one_slice;
