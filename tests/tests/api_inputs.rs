//! Hostile request bodies against the local API: every one gets a 4xx with a
//! JSON error, none a 5xx, a hang or a crash, and the engine keeps working.

use molten_tests::Serve;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_clear_4xx_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = Serve::start(dir.path());
    let http = reqwest::Client::new();
    let url = format!("{}/v1/chat/messages", serve.url);
    let mut rng = fastrand::Rng::with_seed(7);
    let fixed: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        br#"{"text": 5}"#.to_vec(),
        br#"{"txt": "hi"}"#.to_vec(),
        br#"{"text": "\ud800"}"#.to_vec(),
        vec![0xff, 0xfe, 0x00],
        format!(r#"{{"text": "{}"}}"#, "a".repeat(70_000)).into_bytes(),
        br#"{"text": ""}"#.to_vec(),
    ];
    let random: Vec<Vec<u8>> = (0..200)
        .map(|_| (0..rng.usize(0..300)).map(|_| rng.u8(..)).collect())
        .collect();
    for body in fixed.iter().chain(random.iter()) {
        let r = http
            .post(&url)
            .bearer_auth(&serve.token)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the API answers");
        let status = r.status();
        assert!(
            status.is_client_error(),
            "body {:?} got {status}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
    }
    let ok = serve
        .client()
        .send("after-fuzz", "/whoami")
        .await
        .expect("still serving");
    assert_eq!(
        ok["direction"], "in",
        "a valid message still works after the barrage"
    );
}
