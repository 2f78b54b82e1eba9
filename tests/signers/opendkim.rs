//! OpenDKIM signing with the tables `signet fleet sync` wrote.

use std::os::unix::fs::PermissionsExt as _;

use signet_testkit::{OpenDkim, TestMessage};
use signet_tests::fixtures::keys;
use signet_tests::spawn_app;

use super::{create_ed25519, dkimpy, record_of, sync_once, tag, verifier};
use crate::fleet::{create_fleet, poll};

/// The key and table paths of an `opendkim:DIR` target.
fn tables(dir: &std::path::Path, signing: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    (dir.join("KeyTable"), dir.join(signing))
}

#[tokio::test]
async fn opendkim_signs_with_the_rsa_key_synced_from_the_feed_and_it_verifies() {
    if !OpenDkim::available() {
        return signet_tests::skip("opendkim or miltertest is missing");
    }
    let Some(python) = verifier() else { return };
    let app = spawn_app().await;
    app.greenarrow()
        .import("a.example", "s1", &keys().await[0].pkcs1)
        .await;
    let token = create_fleet(&app, "mta", "a.example").await;
    let dir = tempfile::tempdir().unwrap();
    let target = format!("opendkim:{}", dir.path().display());
    sync_once(&app.base_url, &token, &[target]).await.unwrap();
    let key_file = dir.path().join("keys/a.example/s1.private");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let (key_table, signing_table) = tables(dir.path(), "SigningTable");
    let opendkim = OpenDkim::start(&key_table, &signing_table, "rsa-sha256").await;
    let message = TestMessage {
        from_domain: "a.example".into(),
    };
    let signature = opendkim.sign(&message).await.expect("opendkim signs");
    assert_eq!(tag(&signature, "d"), "a.example");
    assert_eq!(tag(&signature, "s"), "s1");
    assert_eq!(tag(&signature, "a"), "rsa-sha256");

    let feed = poll(&app, &token, None).await.ok();
    let (name, value) = record_of(&feed, "a.example", "s1");
    let (name, value) = (name.as_str(), value.as_str());
    let signed = message.signed(&signature);
    assert_eq!(dkimpy(&python, &signed, name, value).await, "pass");
    let mut forged = signed.clone();
    let at = forged.len() - 3;
    forged[at] ^= 1;
    assert_ne!(
        dkimpy(&python, &forged, name, value).await,
        "pass",
        "a changed body fails"
    );

    let stranger = TestMessage {
        from_domain: "other.example".into(),
    };
    assert_eq!(opendkim.sign(&stranger).await, None, "no key, no signature");
}

#[tokio::test]
async fn a_second_opendkim_signs_with_the_ed25519_keys_of_their_own_table() {
    if !OpenDkim::available() {
        return signet_tests::skip("opendkim or miltertest is missing");
    }
    let Some(python) = verifier() else { return };
    let app = spawn_app().await;
    app.greenarrow()
        .import("e.example", "rsa", &keys().await[1].pkcs1)
        .await;
    create_ed25519(&app, "e.example", "ed").await;
    let token = create_fleet(&app, "mta", "e.example").await;
    let dir = tempfile::tempdir().unwrap();
    let target = format!("opendkim:{}", dir.path().display());
    sync_once(&app.base_url, &token, &[target]).await.unwrap();
    let feed = poll(&app, &token, None).await.ok();

    let message = TestMessage {
        from_domain: "e.example".into(),
    };
    let (key_table, ed_table) = tables(dir.path(), "SigningTable.ed25519");
    let ed_signer = OpenDkim::start(&key_table, &ed_table, "ed25519-sha256").await;
    let signature = ed_signer.sign(&message).await.expect("opendkim signs");
    assert_eq!(tag(&signature, "a"), "ed25519-sha256");
    assert_eq!(tag(&signature, "s"), "ed");
    let (name, value) = record_of(&feed, "e.example", "ed");
    let verdict = dkimpy(&python, &message.signed(&signature), &name, &value).await;
    assert_eq!(verdict, "pass");

    let (_, rsa_table) = tables(dir.path(), "SigningTable");
    let rsa_signer = OpenDkim::start(&key_table, &rsa_table, "rsa-sha256").await;
    let signature = rsa_signer.sign(&message).await.expect("opendkim signs");
    assert_eq!(tag(&signature, "s"), "rsa");
    let (name, value) = record_of(&feed, "e.example", "rsa");
    let verdict = dkimpy(&python, &message.signed(&signature), &name, &value).await;
    assert_eq!(verdict, "pass");
}
