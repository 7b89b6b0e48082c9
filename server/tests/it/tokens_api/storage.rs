//! Tokens at rest: stored encrypted, shown masked, bound to their row.

use super::*;

#[tokio::test]
async fn adding_a_valid_token_stores_it_encrypted_and_shows_it_masked() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(GOOD));

    let (_, list) = status_and_body(&app, call_fn("tokens", &[], Some(&dana))).await;
    assert!(list.contains(r#""status":"valid""#), "{list}");
    assert!(list.contains(r#""last4":"1111""#) && list.contains(r#""provider_login":"octo""#));
    assert!(!list.contains(GOOD), "the token never reaches the browser");
    let page = token_page(&app, &dana).await;
    assert!(page.contains("••••1111") && !page.contains(GOOD));

    // The stored bytes: ciphertext only, under the current key, bound to its row.
    let (key_id, blob): (String, Vec<u8>) = app::on_db!(&app.state.pool, |e| sqlx::query_as(
        "SELECT key_id, ciphertext FROM git_tokens"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(key_id, app.state.keys.current_id());
    assert!(!blob.windows(GOOD.len()).any(|w| w == GOOD.as_bytes()));
    let revealed = tokens::reveal(&app.state, seed.dana, seed.acme_rt)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revealed.expose(), GOOD);

    let audit: Vec<(String, String)> = app::on_db!(&app.state.pool, |e| sqlx::query_as(
        "SELECT action, detail FROM audit_events WHERE action LIKE 'token.%'"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(audit, [("token.add".to_string(), "method=pat".to_string())]);
}

#[tokio::test]
async fn the_database_files_hold_no_token_bytes() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.globex_rt, GL).await;
    if let app::ssr::db::Db::Postgres(pg) = &app.state.pool {
        // The server's files are its own: every stored value, as text, instead.
        for table in ["git_tokens", "audit_events", "tower_sessions.session"] {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                    .fetch_all(pg)
                    .await
                    .unwrap();
            for secret in [GOOD, GL] {
                assert!(
                    !rows.iter().any(|r| r.contains(secret)),
                    "{table} holds a token"
                );
            }
        }
        return;
    }
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "PRAGMA wal_checkpoint(FULL)"
    )
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in [GOOD, GL] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a token",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_row_does_not_decrypt() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.globex_rt, GL).await;
    add(&app, &olu, seed.globex_rt, GL).await;
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET ciphertext = (SELECT ciphertext FROM git_tokens WHERE user_id = $1) WHERE user_id = $2",
    )
    .bind(seed.dana)
    .bind(seed.olu)
    .execute(e)
    .await.map(|r| r.rows_affected()))
    .unwrap();
    let err = tokens::reveal(&app.state, seed.olu, seed.globex_rt)
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<crypto::CryptoError>().is_some(), "{err}");
}
