//! Running a pipeline: the scheduler ([`executor`]) and the session around it ([`session`]:
//! the lock, the log, the run record written at the end). The record itself is
//! [`crate::record`]; processes are [`crate::process`].

pub mod cache;
pub mod executor;
pub mod session;
pub mod watch;

pub use crate::process::{command, guardian, interrupt, service, shared};
pub use crate::record::*;
