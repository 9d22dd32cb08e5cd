//! placeholder
use super::CheckDef;
pub fn def() -> CheckDef {
    todo_def()
}
fn todo_def() -> CheckDef {
    super::manifest_smoke::def()
}
