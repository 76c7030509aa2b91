//! Starting and stopping: background thread, current runtime, `serve`, `router`.

mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::*;
use revault_auth_mock::{Fault, MockConfig, MockServer, MockState, Target};

fn blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[test]
fn background_server_works_without_a_runtime() {
    let server = MockServer::start_background(MockConfig::default()).expect("start");
    assert!(server.base_url().starts_with("http://127.0.0.1:"));
    assert!(server.base_url().ends_with("/v1/rest"));
    assert_eq!(server.addr().ip(), std::net::Ipv4Addr::LOCALHOST);
    let client = blocking_client();
    let post_credentials = || {
        client
            .post(server.url("/auth/token"))
            .json(&credentials(server.config()))
            .send()
    };
    let response = post_credentials().expect("send");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().expect("json");
    let response = client
        .get(server.url("/x"))
        .bearer_auth(token_str(&body, "accessToken"))
        .send()
        .expect("send");
    assert_eq!(response.status(), 200);
    // Faults work from a blocking test too, delays included.
    server.push_fault(Target::Token, Fault::delay(Duration::from_millis(100)));
    server.push_fault(Target::Token, Fault::close_connection());
    let response = post_credentials().expect("send");
    assert_eq!(response.status(), 200);
    assert!(post_credentials().is_err());
    assert_eq!(server.token_requests(), 3);
}

#[test]
fn shutdown_stops_a_background_server() {
    let server = MockServer::start_background(MockConfig::default()).expect("start");
    let addr = server.addr();
    assert!(TcpStream::connect(addr).is_ok());
    server.shutdown();
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn drop_stops_a_background_server() {
    let server = MockServer::start_background(MockConfig::default()).expect("start");
    let addr = server.addr();
    drop(server);
    assert!(TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn stop_stops_a_server_on_the_current_runtime() {
    let server = start(MockConfig::default()).await;
    let addr = server.addr();
    authenticate(&client(), &server).await;
    server.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_port_is_honoured_and_can_be_reused_after_stop() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let server = start(MockConfig::default().with_port(port)).await;
    assert_eq!(server.addr().port(), port);
    assert!(
        MockServer::start(MockConfig::default().with_port(port))
            .await
            .is_err()
    );
    server.stop().await;
    let again = start(MockConfig::default().with_port(port)).await;
    authenticate(&client(), &again).await;
}

#[tokio::test]
async fn serve_on_own_listener_with_shared_state() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = MockState::new(MockConfig::default());
    let task = tokio::spawn(revault_auth_mock::serve(listener, state.clone()));
    let url = format!("http://{addr}/v1/rest/auth/token");
    let response = post_json(&client(), &url, &credentials(state.config())).await;
    assert_eq!(response.status(), 200);
    state.push_fault(Target::Token, Fault::close_connection());
    assert!(
        client()
            .post(&url)
            .json(&credentials(state.config()))
            .send()
            .await
            .is_err()
    );
    assert_eq!(state.token_requests(), 2);
    task.abort();
}

#[tokio::test]
async fn router_served_by_axum_serve() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = MockState::default();
    let app = revault_auth_mock::router(state.clone());
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/v1/rest/auth/token");
    let response = post_json(&client(), &url, &credentials(state.config())).await;
    assert_eq!(response.status(), 200);
    // Without `serve`'s per-connection switch, closing is done by aborting the body.
    state.push_fault(Target::Token, Fault::close_connection());
    let result = client()
        .post(&url)
        .json(&credentials(state.config()))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    match result {
        Err(error) => assert!(!error.is_timeout(), "{error:?}"),
        // hyper may flush the head before noticing the body error; the body then fails.
        Ok(response) => assert!(response.bytes().await.is_err()),
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_get_distinct_tokens() {
    let server = start(MockConfig::default()).await;
    let client = client();
    let mut handles = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        let url = server.url("/auth/token");
        let body = credentials(server.config());
        handles.push(tokio::spawn(async move {
            let response = post_json(&client, &url, &body).await;
            assert_eq!(response.status(), 200);
            let body: serde_json::Value = response.json().await.expect("json");
            token_str(&body, "accessToken").to_owned()
        }));
    }
    let mut tokens = Vec::new();
    for handle in handles {
        tokens.push(handle.await.expect("task"));
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 16);
    assert_eq!(server.token_requests(), 16);
}
