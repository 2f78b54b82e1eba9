//! The independent DKIM verifier the tests run: dkimpy (with PyNaCl for
//! Ed25519 and dnspython for lookups) in the `.venv-sdk` that `.ci/run`
//! creates.

use std::path::PathBuf;

use crate::skip;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the repository")
        .to_path_buf()
}

/// The venv's python if it has dkimpy, PyNaCl and dnspython; `None`
/// (skipped) if not, a failure under `CI=true`.
pub async fn dkimpy_python() -> Option<PathBuf> {
    let python = repo().join(".venv-sdk/bin/python");
    let ready = tokio::process::Command::new(&python)
        .args(["-c", "import dkim, nacl, dns.resolver"])
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    let setup = "python3 -m venv .venv-sdk && .venv-sdk/bin/pip install -q dkimpy pynacl";
    assert!(
        !signet_testkit::on_ci(),
        "CI=true but {} lacks dkimpy or PyNaCl: run `{setup}`",
        python.display()
    );
    skip(&format!(
        "{} lacks dkimpy or PyNaCl (run `{setup}`)",
        python.display()
    ));
    None
}
