//! The xtask crate's integration tests, one module per file beside this one, in one
//! test binary (one link of the library instead of one per file).

mod cleanup_crash;
mod cli;
mod closure_cli;
mod conventions;
mod example;
mod gate_processes;
mod guard_outputs;
mod history;
mod history_reuse;
mod init;
mod init_into;
mod messages;
mod observability;
mod packet_names;
mod robustness;
mod symlinks;

// What the modules above share.
mod support;
