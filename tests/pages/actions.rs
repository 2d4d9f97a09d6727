//! static/app.js fills action templates by the same rules as the server: it passes the shared
//! vectors (tests/fixtures/action-vectors.json) under Node.js here, and in Chromium in
//! browser.rs.

use std::path::Path;
use std::process::Command;

#[test]
fn the_script_passes_the_shared_action_vectors_under_node() {
    let runner = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pages/action_vectors.js");
    let output = Command::new("node")
        .arg(&runner)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "this test needs Node.js (`node`) on PATH: `apt-get install -y nodejs` \
             (scripts/test does this on a fresh machine): {error}"
            )
        });
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("vectors pass"), "{printed}");
}
