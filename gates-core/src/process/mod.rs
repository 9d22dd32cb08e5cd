//! Processes: running a command in its own process group with a timeout and its output
//! kept ([`command`]), a long-lived service waited on and stopped ([`service`]), one run
//! shared by several gates ([`shared`]), every process a command started ended with it
//! ([`tree`]), children that die with the tool ([`guardian`]) and interrupts: Ctrl-C,
//! SIGTERM, SIGHUP ([`interrupt`]). Below the checks (a check may run a command or start a
//! service) and the executor.
//!
//! Processes and `/proc`, no gate's input (a gate that starts a process is judged by its command inputs).
#![allow(clippy::disallowed_methods)]

pub mod command;
pub mod guardian;
pub mod interrupt;
pub mod service;
pub mod shared;
pub mod tree;
