//! `serve --demo` on Postgres, twice on one database: the second run
//! reuses the demo tenant and prints a fresh key that works, no org is
//! created twice, and the banner says how to keep the operator token and
//! how to set a secret key — which, once set, makes the VoIP steps work.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;
use thunderphone_test_db::TestDb;

use crate::harness::Api;

/// A `serve --demo` process and its banner.
struct Demo {
    child: Child,
    banner: Vec<String>,
}

impl Demo {
    fn start(url: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_thunderphone"));
        cmd.args(["serve", "--demo"])
            .env("DATABASE_URL", url)
            .env("THUNDERPHONE_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .env_remove("THUNDERPHONE_ADMIN_TOKEN")
            .env_remove("THUNDERPHONE_SECRET_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut banner = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let last = line.starts_with("Next:");
            banner.push(line);
            if last {
                break;
            }
        }
        Self { child, banner }
    }

    fn value(&self, prefix: &str) -> String {
        self.banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {:#?}", self.banner))
            .trim_matches('"')
            .to_owned()
    }

    fn says(&self, text: &str) -> bool {
        self.banner.iter().any(|l| l.contains(text))
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(self.child.wait().unwrap().success());
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_demo_reuses_the_tenant_with_a_fresh_key() {
    let db = TestDb::create();
    let api = Api::new();

    let first = Demo::start(db.url(), &[]);
    let (base, key1, admin1) = (
        first.value("export TP="),
        first.value("export TP_KEY="),
        first.value("export TP_ADMIN="),
    );
    assert!(first.says("created a demo tenant"), "{:#?}", first.banner);
    assert!(
        first.says(&format!("export THUNDERPHONE_ADMIN_TOKEN={admin1}")),
        "says how to keep the operator token: {:#?}",
        first.banner
    );
    assert!(
        first.says("export THUNDERPHONE_SECRET_KEY="),
        "says how to set a secret key: {:#?}",
        first.banner
    );
    assert!(first.says("/docs") && first.says("crates/app/examples/embedded.rs"));
    let (status, me) = api.get(&base, "/v1/me", &key1).await;
    assert_eq!(status, 200, "{me}");
    let org = me["org_id"].as_i64().unwrap();
    first.stop();

    // Again, keeping the operator token and setting a secret key as the
    // first banner said.
    let secret = "demo:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let second = Demo::start(
        db.url(),
        &[
            ("THUNDERPHONE_ADMIN_TOKEN", admin1.as_str()),
            ("THUNDERPHONE_SECRET_KEY", secret),
        ],
    );
    let (base, key2) = (second.value("export TP="), second.value("export TP_KEY="));
    assert!(
        second.says("reusing the demo tenant"),
        "{:#?}",
        second.banner
    );
    assert!(
        !second.says("THUNDERPHONE_SECRET_KEY="),
        "{:#?}",
        second.banner
    );
    assert_ne!(key1, key2, "a fresh key");
    for key in [&key1, &key2] {
        let (status, me) = api.get(&base, "/v1/me", key).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["org_id"], org);
        assert_eq!(me["role"], "owner");
    }
    let (status, orgs) = api.get(&base, "/admin/v1/orgs", &admin1).await;
    assert_eq!(status, 200, "the operator token survived: {orgs}");
    let names: Vec<&str> = orgs["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names, ["Demo Partner Org", "Demo Org"], "no org made twice");
    let (status, agents) = api.get(&base, "/v1/agents", &key2).await;
    assert_eq!(status, 200);
    assert_eq!(agents["data"].as_array().map(Vec::len), Some(2));

    // The walk-through's VoIP step works once a secret key is set.
    let (status, body) = api
        .post(
            &base,
            "/v1/voip-connections",
            &key2,
            json!({ "name": "Office PBX", "provider": "sip",
                    "termination_uri": "sip:pbx.example.com:5060",
                    "credentials": { "username": "thunder", "password": "s3cret" } }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    second.stop();
}
