//! The `xtask` binary: the command line is the `xtask` library (src/lib.rs).

fn main() -> std::process::ExitCode {
    xtask::main()
}
