//! The bundled pipeline wires the A5/A6 harness gates for real: the example's vitest suites
//! judged from vitest's JSON report, the live probe starting the example host, and A6's
//! instance-isolation assertions through the same check, each through the target's own
//! package manager (placeholders the executor expands from the target's lockfile). (Running
//! them needs the example's dependencies; `cargo xtask phase-a` installs them through the
//! gates' setup step.)

use std::path::Path;

use gates::pipeline::GateKind;

fn pipeline() -> gates::pipeline::Pipeline {
    gates::load::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/phase-a.toml"))
        .unwrap()
}

#[test]
fn the_harness_gates_run_the_example_suites_and_probe_its_host() {
    let p = pipeline();
    let mut commands = Vec::new();
    for (id, expected_check) in [
        ("harness-matrix", "harness-matrix"),
        ("instance-isolation", "instance-isolation"),
    ] {
        let g = &p.gates[id];
        let GateKind::CommandWithCheck { command, check, .. } = &g.kind else {
            panic!("{id} is not a command judged by a check: {:?}", g.kind);
        };
        assert_eq!(check.name, expected_check);
        assert_eq!(
            &command.argv[..6],
            [
                "{exec}",
                "vitest",
                "run",
                "apps/server/test",
                "packages/hq/test",
                "plugins/cli/plugins/test"
            ]
        );
        assert!(
            command.report.as_ref().unwrap().path.starts_with("{state}"),
            "the report is written outside the work tree"
        );
        assert_eq!(command.report.as_ref().unwrap().format, "vitest-json");
        let setup = g
            .setup
            .as_ref()
            .expect("dependencies are installed when missing");
        assert_eq!(setup.argv, ["{install}"]);
        commands.push((
            command.argv.clone(),
            command.report.as_ref().unwrap().path.clone(),
        ));
    }
    // One suite run per pipeline run: both gates name the same command and report.
    assert_eq!(commands[0], commands[1]);
    // instance-isolation judges with its check's defaults (the A6 title assertions).
    assert!(
        p.gates["instance-isolation"]
            .kind
            .params()
            .is_none_or(|t| !t.contains_key("title_assertions"))
    );
    assert!(
        p.slice("A6")
            .unwrap()
            .gates
            .contains(&"instance-isolation".to_string())
    );

    let probe = &p.gates["route-probe"];
    assert_eq!(probe.kind.check_name(), Some("route-probe"));
    let start = probe.kind.params().unwrap()["start"].as_table().unwrap();
    assert_eq!(
        start["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>(),
        ["{host}"]
    );
    // The example is a bun workspace: the placeholders become bun's commands there.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hq");
    let tc = gates::repo::toolchain::Toolchain::detect(&example);
    assert_eq!(tc.pm, gates::repo::toolchain::PackageManager::Bun);
    let host = gates::repo::toolchain::host_entry(&example, &tc, "apps/server", None).unwrap();
    assert_eq!(host.argv, ["bun", "apps/server/src/main.ts"]);
    assert!(probe.setup.is_some());
}
