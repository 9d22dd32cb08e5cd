//! The fuzz targets' bodies that live in the library run over their seeds with the project's
//! tests: they compile with every build and do not panic on the inputs the fuzzer starts from.

use crate::closure_support::workspace;

#[test]
fn the_markdown_target_reads_every_seed() {
    let dir = workspace().join("fuzz/seeds/markdown");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        gates::fuzz_bodies::markdown(&data);
        n += 1;
    }
    assert!(n >= 10, "{n} seeds in {}", dir.display());
    // The later handoff seed is read by the handoff's prose reader through the body's
    // pipeline: three delivered slices, the posture, and the phase line's five slices.
    let seed = std::fs::read_to_string(dir.join("FINAL_PHASE_K_HANDOFF.md")).unwrap();
    let claims = gates::checks::handoff::prose_claims(&seed, gates::fuzz_bodies::phase_k());
    assert_eq!(claims.len(), 9, "{claims:?}");
}
