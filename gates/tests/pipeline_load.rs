//! The pipeline loader: every validation error points at `file:line:col` with the offending
//! text, and valid pipelines are ordered into the right levels.

use std::path::Path;

use gates::load::load_str;
use gates::pipeline::Plan;

const VALID: &str = r#"[target]
repo = "repo"
pass_root = "docs/pass"

[[stage]]
number = 0
title = "zero"

[[stage]]
number = 1
title = "one"

[[slice]]
id = "S0"
stage = 0
title = "t"
owner = "o"
gates = ["g0"]

[[slice]]
id = "A"
stage = 1
title = "t"
owner = "o"
depends_on = ["S0"]
gates = ["g1"]

[gate.g0]
command = ["true"]

[gate.g1]
command = ["true"]
timeout = "5s"
"#;

/// Loads `text` and returns the error as `line:col: message` plus the snippet.
fn err(text: &str) -> (u32, u32, String, String) {
    match load_str(text, Path::new("ci/phase-a.toml"), Path::new(".")) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => {
            assert_eq!(e.file, "ci/phase-a.toml");
            (e.line, e.col, e.message, e.snippet)
        }
    }
}

#[test]
fn the_valid_pipeline_loads() {
    let p = load_str(VALID, Path::new("ci/phase-a.toml"), Path::new(".")).unwrap();
    assert_eq!(p.slices.len(), 2);
    assert_eq!(p.gates["g1"].timeout.as_secs(), 5);
}

#[test]
fn unknown_key_points_at_the_key() {
    let text = VALID.replace(
        "owner = \"o\"\ngates = [\"g0\"]",
        "owner = \"o\"\ncolour = \"red\"\ngates = [\"g0\"]",
    );
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (18, 1), "{msg}");
    assert!(msg.contains("unknown field `colour`"), "{msg}");
}

#[test]
fn unknown_gate_reference() {
    let text = VALID.replace("gates = [\"g1\"]", "gates = [\"g1\", \"nope\"]");
    let (line, col, msg, snippet) = err(&text);
    assert_eq!((line, col), (26, 16));
    assert_eq!(msg, "slice `A` requires unknown gate `nope`");
    assert_eq!(snippet, "\"nope\"");
}

#[test]
fn unknown_slice_reference() {
    let text = VALID.replace("depends_on = [\"S0\"]", "depends_on = [\"S9\"]");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (25, 15));
    assert_eq!(msg, "slice `A` depends on unknown slice `S9`");
}

#[test]
fn duplicate_slice_id() {
    let text = VALID
        .replace("id = \"A\"", "id = \"S0\"")
        .replace("depends_on = [\"S0\"]\n", "");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (21, 6));
    assert_eq!(
        msg,
        "duplicate slice id `S0` (first declared at line 14, column 6)"
    );
}

#[test]
fn duplicate_gate_id_is_a_toml_error_at_the_second_table() {
    let text = format!("{VALID}\n[gate.g1]\ncommand = [\"false\"]\n");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (35, 7), "{msg}");
    assert!(msg.contains("duplicate"), "{msg}");
}

#[test]
fn cycle_is_printed() {
    let text = format!(
        "{}\n[[slice]]\nid = \"B\"\nstage = 1\ntitle = \"t\"\nowner = \"o\"\ndepends_on = [\"A\"]\ngates = [\"g1\"]\n",
        VALID.replace("depends_on = [\"S0\"]", "depends_on = [\"S0\", \"B\"]")
    );
    let (line, col, msg, _) = err(&text);
    assert_eq!(msg, "dependency cycle: A -> B -> A");
    assert_eq!((line, col), (25, 21));
}

#[test]
fn self_dependency_is_a_cycle() {
    let text = VALID.replace("depends_on = [\"S0\"]", "depends_on = [\"A\"]");
    let (_, _, msg, _) = err(&text);
    assert_eq!(msg, "dependency cycle: A -> A");
}

#[test]
fn dependency_on_a_later_stage() {
    let text = VALID
        .replace(
            "id = \"S0\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\n",
            "id = \"S0\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ndepends_on = [\"A\"]\n",
        )
        .replace("depends_on = [\"S0\"]\n", "");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (18, 15));
    assert_eq!(
        msg,
        "slice `S0` (stage 0) depends on `A` of the later stage 1"
    );
}

#[test]
fn stage_without_slices() {
    let text = VALID.replace(
        "[[stage]]\nnumber = 1",
        "[[stage]]\nnumber = 2\ntitle = \"two\"\n\n[[stage]]\nnumber = 1",
    );
    let (line, col, msg, _) = err(&text);
    assert_eq!(msg, "stage 2 has no slices");
    assert_eq!((line, col), (9, 1));
}

#[test]
fn empty_argv() {
    let text = VALID.replace("[gate.g0]\ncommand = [\"true\"]", "[gate.g0]\ncommand = []");
    let (line, col, msg, snippet) = err(&text);
    assert_eq!((line, col), (29, 11));
    assert_eq!(msg, "gate `g0` has an empty `command` argv");
    assert_eq!(snippet, "[]");
}

#[test]
fn unparseable_timeout() {
    let text = VALID.replace("timeout = \"5s\"", "timeout = \"five minutes\"");
    let (line, col, msg, snippet) = err(&text);
    assert_eq!((line, col), (33, 11));
    assert!(
        msg.starts_with("unparseable timeout \"five minutes\""),
        "{msg}"
    );
    assert_eq!(snippet, "\"five minutes\"");
}

#[test]
fn unknown_check() {
    let text = VALID.replace(
        "[gate.g0]\ncommand = [\"true\"]",
        "[gate.g0]\ncheck = \"no-such-check\"",
    );
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (29, 9));
    assert!(msg.starts_with("unknown check \"no-such-check\""), "{msg}");
}

#[test]
fn gate_required_by_no_slice() {
    let text = format!("{VALID}\n[gate.orphan]\ncommand = [\"true\"]\n");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (35, 1));
    assert_eq!(
        msg,
        "gate `orphan` is not required by any slice, so it would never run"
    );
}

#[test]
fn slice_without_gates() {
    let text = VALID.replace("gates = [\"g0\"]", "gates = []");
    let (_, _, msg, _) = err(&text);
    assert!(msg.starts_with("slice `S0` has no gates"), "{msg}");
}

#[test]
fn toml_syntax_error() {
    let text = VALID.replace("title = \"zero\"", "title = \"zero");
    let (line, col, _, _) = err(&text);
    assert_eq!(line, 7);
    assert!(col >= 9, "col {col}");
}

#[test]
fn pass_root_escaping_the_repo() {
    let text = VALID.replace("pass_root = \"docs/pass\"", "pass_root = \"../elsewhere\"");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (3, 13));
    assert!(msg.contains("inside the target repository"), "{msg}");
}

#[test]
fn the_bundled_pipeline_follows_the_runbook() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let p = gates::load::load_file(&root.join("ci/phase-a.toml")).unwrap();
    let deps = |id: &str| {
        let mut d = p.slice(id).unwrap().depends_on.clone();
        d.sort();
        d
    };
    assert_eq!(deps("A0"), ["stage-0"]);
    assert_eq!(deps("A1"), ["A0"]);
    assert_eq!(deps("A3"), ["A0"]);
    assert_eq!(deps("A2"), ["A1"]);
    assert_eq!(deps("A4"), ["A2", "A3"]);
    assert_eq!(deps("A5"), ["A3", "A4"]);
    assert_eq!(deps("A6"), ["A1", "A5"]);
    assert_eq!(deps("A7"), ["A6"]);
    assert_eq!(deps("B4A"), ["A7"]);
    assert_eq!(deps("A8"), ["B4A"]);
    assert_eq!(deps("A9"), ["A8"]);
    assert_eq!(deps("stage-6"), ["A9"]);
    let stages: Vec<(String, u32)> = p.slices.iter().map(|s| (s.id.clone(), s.stage)).collect();
    let stage_of = |id: &str| stages.iter().find(|(s, _)| s == id).unwrap().1;
    assert_eq!(stage_of("stage-0"), 0);
    for s in ["A0", "A1", "A2", "A3", "A4", "A5", "A6"] {
        assert_eq!(stage_of(s), 1);
    }
    assert_eq!(
        (
            stage_of("A7"),
            stage_of("B4A"),
            stage_of("A8"),
            stage_of("A9"),
            stage_of("stage-6")
        ),
        (2, 3, 4, 5, 6)
    );
    // A gate required by several slices is one gate.
    assert_eq!(
        p.slices_of_gate("metadata-contract")
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["A1", "A6"]
    );

    let plan = Plan::new(&p);
    assert_eq!(
        plan.levels,
        vec![
            vec!["stage-0"],
            vec!["A0"],
            vec!["A1", "A3"],
            vec!["A2"],
            vec!["A4"],
            vec!["A5"],
            vec!["A6"],
            vec!["A7"],
            vec!["B4A"],
            vec!["A8"],
            vec!["A9"],
            vec!["stage-6"],
        ]
    );
}

#[test]
fn levels_follow_longest_dependency_chain() {
    let text = r#"[target]
repo = "r"
pass_root = "p"
[[stage]]
number = 0
title = "s"
[[slice]]
id = "C"
stage = 0
title = "t"
owner = "o"
depends_on = ["A", "B"]
gates = ["g"]
[[slice]]
id = "B"
stage = 0
title = "t"
owner = "o"
depends_on = ["A"]
gates = ["g"]
[[slice]]
id = "A"
stage = 0
title = "t"
owner = "o"
gates = ["g"]
[[slice]]
id = "D"
stage = 0
title = "t"
owner = "o"
gates = ["g"]
[gate.g]
command = ["true"]
"#;
    let p = load_str(text, Path::new("p.toml"), Path::new(".")).unwrap();
    let plan = Plan::new(&p);
    assert_eq!(plan.levels, vec![vec!["A", "D"], vec!["B"], vec!["C"]]);
    assert_eq!(plan.order, ["A", "D", "B", "C"]);
}

/// `VALID` with `line` added to gate `g0` (it becomes line 30).
fn with_g0_line(line: &str) -> String {
    let text = VALID.replacen(
        "[gate.g0]\ncommand = [\"true\"]\n",
        &format!("[gate.g0]\ncommand = [\"true\"]\n{line}\n"),
        1,
    );
    assert_eq!(text.lines().nth(29), Some(line));
    text
}

#[test]
fn environment_names_and_values_a_process_cannot_take_are_load_errors() {
    let (line, col, msg, snippet) = err(&with_g0_line(r#"env = { "A=B" = "1" }"#));
    assert_eq!((line, col), (30, 9), "{msg}");
    assert_eq!(
        msg,
        "gate `g0`: environment variable name \"A=B\" is not usable (it must be non-empty, without `=` or NUL)"
    );
    assert_eq!(snippet, "\"A=B\"");
    let (line, col, msg, _) = err(&with_g0_line(r#"env = { "A\u0000" = "1" }"#));
    assert_eq!((line, col), (30, 9), "{msg}");
    assert!(msg.contains("\"A\\0\" is not usable"), "{msg}");
    let (line, col, msg, _) = err(&with_g0_line(r#"env = { "" = "1" }"#));
    assert_eq!((line, col), (30, 9), "{msg}");
    let (line, col, msg, snippet) = err(&with_g0_line(r#"env = { OK = "a\u0000b" }"#));
    assert_eq!((line, col), (30, 14), "{msg}");
    assert_eq!(
        msg,
        "gate `g0`: the value of environment variable `OK` contains a NUL character"
    );
    assert_eq!(snippet, r#""a\u0000b""#);
}

#[test]
fn paths_escaping_the_repository_are_load_errors() {
    let (line, col, msg, _) = err(&with_g0_line(r#"cwd = "../elsewhere""#));
    assert_eq!((line, col), (30, 7), "{msg}");
    assert_eq!(
        msg,
        "gate `g0`: `cwd` \"../elsewhere\" must be a relative path inside the target repository (no leading `/`, no `..`)"
    );
    let (line, col, msg, _) = err(&with_g0_line(r#"cwd = "/tmp""#));
    assert_eq!((line, col), (30, 7), "{msg}");
    let (line, col, msg, _) = err(&with_g0_line(r#"cwd = "a\u0000""#));
    assert_eq!((line, col), (30, 7), "{msg}");
    assert_eq!(msg, "gate `g0`: `cwd` contains a NUL character");
    let (line, col, msg, _) = err(&with_g0_line(
        r#"report = { path = "../out.xml", format = "junit" }"#,
    ));
    assert_eq!((line, col), (30, 19), "{msg}");
    assert!(
        msg.starts_with("gate `g0`: `report.path` \"../out.xml\""),
        "{msg}"
    );
    // A path that stays inside is fine.
    let ok = with_g0_line(r#"cwd = "sub/dir""#);
    load_str(&ok, Path::new("ci/phase-a.toml"), Path::new(".")).unwrap();
}

#[test]
fn a_nul_in_an_argument_is_a_load_error() {
    let text = VALID.replacen(
        "[gate.g0]\ncommand = [\"true\"]",
        "[gate.g0]\ncommand = [\"echo\", \"a\\u0000\"]",
        1,
    );
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (29, 11), "{msg}");
    assert_eq!(
        msg,
        "gate `g0`: a `command` argument contains a NUL character, which no program can be given"
    );
}

#[test]
fn an_unreadable_pipeline_file_names_the_file_without_a_position() {
    let e = gates::load::load_file(Path::new("no/such/phase-a.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no/such/phase-a.toml: cannot read the pipeline file: No such file or directory (os error 2)"
    );
}

#[test]
fn aliases_name_a_gate_and_are_unique() {
    let text = VALID.replace(
        "[gate.g0]\ncommand = [\"true\"]",
        "[gate.g0]\ncommand = [\"true\"]\naliases = [\"packet-name\", \"other-name\"]",
    );
    let p = load_str(&text, Path::new("ci/phase-a.toml"), Path::new(".")).unwrap();
    assert_eq!(p.gates["g0"].aliases, ["packet-name", "other-name"]);
    assert_eq!(p.gate_named("packet-name").unwrap().id, "g0");
    assert_eq!(p.gate_named("g1").unwrap().id, "g1");
    assert!(p.gate_named("nope").is_none());

    // An alias that is a gate's id.
    let text = VALID.replace(
        "[gate.g0]\ncommand = [\"true\"]",
        "[gate.g0]\ncommand = [\"true\"]\naliases = [\"g1\"]",
    );
    let (line, col, msg, snippet) = err(&text);
    assert_eq!((line, col), (30, 12), "{msg}");
    assert_eq!(
        msg,
        "alias `g1` of gate `g0` is the id of a gate: `cargo xtask gate g1` would be ambiguous"
    );
    assert_eq!(snippet, "\"g1\"");

    // The same alias on two gates.
    let text = VALID
        .replace(
            "[gate.g0]\ncommand = [\"true\"]",
            "[gate.g0]\ncommand = [\"true\"]\naliases = [\"both\"]",
        )
        .replace("timeout = \"5s\"", "timeout = \"5s\"\naliases = [\"both\"]");
    let (line, col, msg, _) = err(&text);
    assert_eq!((line, col), (35, 12), "{msg}");
    assert_eq!(
        msg,
        "alias `both` of gate `g1` is already an alias of gate `g0` (line 30, column 12)"
    );

    // Not kebab-case.
    let text = VALID.replace(
        "[gate.g0]\ncommand = [\"true\"]",
        "[gate.g0]\ncommand = [\"true\"]\naliases = [\"Packet Name\"]",
    );
    let (_, _, msg, _) = err(&text);
    assert_eq!(
        msg,
        "alias \"Packet Name\" of gate `g0` is not kebab-case (a-z, 0-9, `-`)"
    );
}
