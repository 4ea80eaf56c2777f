//! SCRAM logins (pgwire) and password changes: a proof checked against the verifier the
//! exchange began with is refused once the password changed meanwhile, and failures count
//! toward the lockout as password logins do.

mod common;

use common::{engine, root, run};
use kalamdb_core::auth::scram::Verifier;
use kalamdb_types::UserId;

fn proof(password: &str, verifier: &Verifier, auth_message: &[u8]) -> bool {
    let proof = Verifier::client_proof(password, &verifier.salt, verifier.iterations, auth_message);
    verifier.check_proof(auth_message, &proof)
}

#[tokio::test]
async fn a_password_change_during_an_exchange_fails_the_login() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let mut session = root();
    run(
        &engine,
        &mut session,
        "CREATE USER 'ana' WITH PASSWORD 'old-pw' ROLE user",
    )
    .await;
    let id = UserId::new("ana");
    let before = engine.catalog.user(&id).unwrap().scram_verifier.unwrap();
    let verifier = Verifier::parse(&before).unwrap();
    assert!(proof("old-pw", &verifier, b"auth message"));

    // The exchange began with `before`; the password changes before its last message.
    run(
        &engine,
        &mut session,
        "ALTER USER 'ana' SET PASSWORD 'new-pw'",
    )
    .await;
    let after = engine.catalog.user(&id).unwrap().scram_verifier.unwrap();
    assert_ne!(before, after);
    let (_, ok) = engine
        .auth
        .record_login(&id, true, &before)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !ok,
        "a proof of the old password logged in after the change"
    );

    // Against the current verifier the same outcome is a login.
    let (record, ok) = engine
        .auth
        .record_login(&id, true, &after)
        .await
        .unwrap()
        .unwrap();
    assert!(ok);
    assert!(record.last_login_at.is_some());
    engine.shutdown();
}

#[tokio::test]
async fn failed_scram_logins_lock_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let mut session = root();
    run(
        &engine,
        &mut session,
        "CREATE USER 'bo' WITH PASSWORD 'pw-bo' ROLE user",
    )
    .await;
    let id = UserId::new("bo");
    let verifier = engine.catalog.user(&id).unwrap().scram_verifier.unwrap();
    for _ in 0..kalamdb_core::auth::login::MAX_FAILED_LOGINS {
        let (_, ok) = engine
            .auth
            .record_login(&id, false, &verifier)
            .await
            .unwrap()
            .unwrap();
        assert!(!ok);
    }
    let record = engine.catalog.user(&id).unwrap();
    assert!(engine.auth.is_locked(&record));
    // And the password login is locked out too.
    assert!(matches!(
        engine.auth.check_password("bo", "pw-bo").await,
        Err(kalamdb_core::auth::login::LoginError::Locked)
    ));
    engine.shutdown();
}
