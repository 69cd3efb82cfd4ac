//! Starts `thunderphone serve` processes on a test database and talks to
//! them over HTTP.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

pub const ADMIN: &str = "durability-admin-token";

/// One `thunderphone serve` process.
pub struct Server {
    pub child: Child,
    pub base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts a server on `database_url` with extra environment.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_thunderphone"));
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("THUNDERPHONE_BIND", format!("127.0.0.1:{port}"))
            .env("THUNDERPHONE_ADMIN_TOKEN", ADMIN)
            .env("THUNDERPHONE_RATE_LIMIT_PER_SEC", "0")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status() != StatusCode::OK)
            .unwrap_or(true)
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server on {base} never became ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }

    /// `kill -9`: no chance to clean up.
    pub fn crash(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A thin JSON client.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
}

impl Api {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        url: String,
        token: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut rb = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            rb = rb.json(&body);
        }
        if let Some(tag) = if_match {
            rb = rb.header("If-Match", tag);
        }
        let res = rb.send().await.unwrap();
        let status = res.status();
        let bytes = res.bytes().await.unwrap();
        (
            status,
            if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap()
            },
        )
    }

    pub async fn get(&self, base: &str, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::GET,
            format!("{base}{path}"),
            key,
            None,
            None,
        )
        .await
    }

    pub async fn post(
        &self,
        base: &str,
        path: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            format!("{base}{path}"),
            key,
            Some(body),
            None,
        )
        .await
    }

    async fn admin(&self, base: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
        let (status, body) = self
            .call(method, format!("{base}{path}"), ADMIN, Some(body), None)
            .await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// An org with an owner; returns (org id, user id, key).
    pub async fn tenant(&self, base: &str, label: &str) -> (i64, i64, String) {
        let org = self
            .admin(
                base,
                reqwest::Method::POST,
                "/admin/v1/orgs",
                json!({ "name": label }),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let user = self
            .admin(
                base,
                reqwest::Method::POST,
                "/admin/v1/users",
                json!({ "email": format!("{label}@example.com") }),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let key = self.join(base, user, org, "owner").await;
        (org, user, key)
    }

    /// Gives `user` a role in `org` and returns a key for it there.
    pub async fn join(&self, base: &str, user: i64, org: i64, role: &str) -> String {
        self.admin(
            base,
            reqwest::Method::PUT,
            &format!("/admin/v1/orgs/{org}/members/{user}"),
            json!({ "role": role }),
        )
        .await;
        let key = self
            .admin(
                base,
                reqwest::Method::POST,
                "/admin/v1/api-keys",
                json!({ "user_id": user, "org_id": org }),
            )
            .await;
        key["key"].as_str().unwrap().to_owned()
    }

    /// Every number of the org, walking all pages.
    pub async fn all_numbers(&self, base: &str, key: &str, filter: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut path = format!("/v1/phone-numbers?limit=200{filter}");
        loop {
            let (status, page) = self.get(base, &path, key).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            out.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/v1/phone-numbers?limit=200{filter}&cursor={c}"),
                None => return out,
            }
        }
    }

    /// Waits until no number of the org is `provisioning`.
    pub async fn settle(&self, base: &str, key: &str, within: Duration) {
        let started = Instant::now();
        while !self
            .all_numbers(base, key, "&status=provisioning")
            .await
            .is_empty()
        {
            assert!(
                started.elapsed() < within,
                "numbers still provisioning after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The change kinds of a number's history, newest first.
    pub async fn changes(&self, base: &str, key: &str, id: i64) -> Vec<String> {
        let (_, page) = self
            .get(
                base,
                &format!("/v1/phone-numbers/{id}/versions?limit=200"),
                key,
            )
            .await;
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["change"].as_str().unwrap().to_owned())
            .collect()
    }
}
