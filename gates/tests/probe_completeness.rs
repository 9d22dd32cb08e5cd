//! Whatever a check learns of the target is in its recording: a gate whose recorded inputs
//! say "unchanged" after a path was created or deleted must give the same verdict when
//! judged again. (`history` reuses a verdict on that word; a check that looked at a path
//! without recording it would be reused stale.)
//!
//! The bundled example, judged by every gate of the bundled pipeline that runs no code of the
//! target; then, one at a time: a file created in each folder, a folder with a manifest
//! created in each folder, and each file deleted.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gates::fs::record::{self, FileState, Inputs, Recorder, World};
use gates::pipeline::Pipeline;
use gates::run::executor::{run_gate_shared, runs_target_code};
use gates::run::{GateResult, Status};

use crate::closure_support;

struct Now<'a>(&'a Path);

impl World for Now<'_> {
    fn root(&self) -> &Path {
        self.0
    }
    fn file_same(&self, key: &str, was: &FileState) -> bool {
        record::file_state(gates::fs::careful::read_whole(&record::path_of(self.0, key)).as_deref())
            == *was
    }
    fn run_fact(&self, _gate: &str) -> Option<String> {
        None
    }
    fn git_answer(&self, cwd: &Path, args: &[&str]) -> Option<String> {
        gates::artifacts::git::answer(cwd, args)
    }
}

/// Every folder and every file below `root`, `.git` aside.
fn paths(root: &Path, dirs: &mut Vec<PathBuf>, files: &mut Vec<PathBuf>) {
    dirs.push(root.to_path_buf());
    let mut es: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    es.sort_by_key(|e| e.file_name());
    for e in es {
        if e.file_name() == ".git" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            paths(&e.path(), dirs, files);
        } else {
            files.push(e.path());
        }
    }
}

/// What a fresh judgement must reproduce: the status and every finding.
fn verdict(r: &GateResult) -> (Status, String) {
    (r.status, format!("{:?}", r.findings))
}

fn judge(p: &Pipeline, id: &str, repo: &Path) -> GateResult {
    run_gate_shared(
        p,
        &p.gates[id],
        repo,
        &repo.join(&p.target.pass_root),
        &AtomicBool::new(false),
        None,
        None,
        None,
    )
}

#[test]
fn a_gate_whose_recording_says_unchanged_judges_the_same_after_any_path_is_created_or_deleted() {
    let ws = closure_support::workspace();
    let t = tempfile::tempdir().unwrap();
    let repo = std::fs::canonicalize(t.path()).unwrap().join("hq");
    std::fs::create_dir_all(&repo).unwrap();
    closure_support::copy_dir(&ws.join("examples/hq"), &repo);
    closure_support::git_repo(&repo);

    let mut p = gates::load::load_file(&ws.join("ci/phase-a.toml")).unwrap();
    p.target.repo = repo.clone();

    // Each static gate, judged once with its reads recorded.
    let mut kept: Vec<(String, Inputs, (Status, String))> = Vec::new();
    for (id, gate) in &p.gates {
        if runs_target_code(&p, gate) {
            continue;
        }
        let rec = Recorder::new(&repo);
        let r = record::scope(Some(rec.clone()), || judge(&p, id, &repo));
        let inputs = rec.finish();
        assert!(inputs.complete, "{id}: a read escaped the recording");
        if inputs.spawned.is_empty() && inputs.run.is_empty() {
            kept.push((id.clone(), inputs, verdict(&r)));
        }
    }
    assert!(kept.len() >= 8, "only {} static gates kept", kept.len());

    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    paths(&repo, &mut dirs, &mut files);
    let (mut same, mut changed, mut stale) = (0, 0, Vec::new());
    let mut check = |what: &str| {
        for (id, inputs, was) in &kept {
            if inputs.first_change(&Now(&repo)).is_some() {
                changed += 1;
                continue;
            }
            same += 1;
            let now = verdict(&judge(&p, id, &repo));
            if now != *was {
                stale.push(format!("{id} after {what}: {was:?} -> {now:?}"));
            }
        }
    };
    let rel = |p: &Path| p.strip_prefix(&repo).unwrap().display().to_string();
    for d in &dirs {
        let f = d.join("zz-added.md");
        std::fs::write(&f, "# added\n").unwrap();
        check(&format!("creating {}", rel(&f)));
        std::fs::remove_file(&f).unwrap();
        let m = d.join("zz-added/package.json");
        std::fs::create_dir_all(m.parent().unwrap()).unwrap();
        std::fs::write(&m, "{ \"name\": \"@hq/added\" }\n").unwrap();
        check(&format!("creating {}", rel(&m)));
        std::fs::remove_dir_all(m.parent().unwrap()).unwrap();
    }
    for f in &files {
        let aside = t.path().join("aside");
        std::fs::rename(f, &aside).unwrap();
        check(&format!("deleting {}", rel(f)));
        std::fs::rename(&aside, f).unwrap();
    }
    assert!(stale.is_empty(), "stale verdicts:\n{}", stale.join("\n"));
    // The test looked at both sides: changes a gate saw, and changes it rightly ignored.
    assert!(
        same > 100 && changed > 100,
        "same {same}, changed {changed}"
    );
}
