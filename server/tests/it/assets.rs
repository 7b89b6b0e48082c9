//! Static assets: precompressed variants, cache lifetimes by file name, compressed pages.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;

const WASM: &str = "gitpat.q-9FZ_ob0ZTlJb3WtwlDbQ.wasm";

fn site_file(app: &TestApp, name: &str, bytes: &[u8]) {
    let pkg = app.dir.path().join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(name), bytes).unwrap();
}

fn get_with(path: &str, accept_encoding: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path).header(header::HOST, HOST);
    if let Some(enc) = accept_encoding {
        req = req.header(header::ACCEPT_ENCODING, enc);
    }
    req.body(Body::empty()).unwrap()
}

async fn bytes(res: axum::response::Response) -> Vec<u8> {
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_served_precompressed() {
    let (app, _) = TestApp::new().await;
    site_file(&app, WASM, b"raw wasm bytes");
    site_file(&app, &format!("{WASM}.br"), b"brotli bytes");

    let res = app
        .send(get_with(&format!("/pkg/{WASM}"), Some("gzip, br")))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(bytes(res).await, b"brotli bytes");

    // A client that takes no brotli gets the file as it is.
    let res = app.send(get_with(&format!("/pkg/{WASM}"), None)).await;
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(bytes(res).await, b"raw wasm bytes");
}

#[tokio::test]
async fn unhashed_and_missing_assets_are_not_cached_for_long() {
    let (app, _) = TestApp::new().await;
    site_file(&app, "gitpat.css", b"body { color: red }");
    let res = app.send(get_with("/pkg/gitpat.css", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");

    let res = app.send(get_with(&format!("/pkg/{WASM}"), None)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
}

#[tokio::test]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let (app, _) = TestApp::new().await;
    let res = app.send(get_with("/login", Some("gzip"))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let body = bytes(res).await;
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");

    let res = app.send(get_with("/login", None)).await;
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    assert!(String::from_utf8(bytes(res).await)
        .unwrap()
        .contains("Sign in"));
}
