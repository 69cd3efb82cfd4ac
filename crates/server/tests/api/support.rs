//! Starts the real server on port 0 and drives it over HTTP.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use thunderphone_app::ActivationPolicy;
use thunderphone_domain::Secret;
use thunderphone_domain::{E164, VoipConnection, VoipCredentials};
use thunderphone_ports::{CheckOutcome, VoipVerifier};
use thunderphone_server::{Config, Overrides, Running, start};

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// Passes when the connection's termination URI mentions `good`; fails the
/// outbound check otherwise, like a trunk that does not answer.
pub struct ScriptedVerifier;

#[async_trait]
impl VoipVerifier for ScriptedVerifier {
    async fn verify(&self, c: &VoipConnection, _: &VoipCredentials, n: &E164) -> Vec<CheckOutcome> {
        let uri = c
            .termination_uri
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default();
        let mut checks = vec![
            CheckOutcome::passed("credentials", "accepted"),
            CheckOutcome::passed("number_in_account", format!("{n} found")),
        ];
        if uri.contains("good") {
            checks.push(CheckOutcome::passed(
                "outbound_trunking",
                "OPTIONS answered 200",
            ));
        } else if uri.contains("slow") {
            tokio::time::sleep(Duration::from_secs(30)).await;
        } else {
            checks.push(CheckOutcome::failed(
                "outbound_trunking",
                format!("SIP OPTIONS to {uri} timed out after 3 s"),
            ));
        }
        checks
    }
}

/// Which store the suite runs against: each test binary sets
/// `crate::STORE`, so the same tests run on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // each binary uses one of them
pub enum StoreKind {
    Memory,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    running: Option<Running>,
    /// The test's own database (Postgres runs); dropped after the server.
    _db: Option<thunderphone_test_db::TestDb>,
}

/// A tenant: an org with an owner and the owner's key.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub org_id: i64,
    pub user_id: i64,
    pub key: String,
}

pub fn test_config() -> Config {
    let mut config = Config::for_tests();
    config.secrets.admin_token = Some(Secret::new(ADMIN_TOKEN));
    config.pool.demo_activation_ms = 50;
    config.carriers.verify_timeout_secs = 1;
    config.secrets.secret_key = Some(Secret::new(
        "test:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ));
    // Generous: only the rate-limit tests want to hit the limit.
    config.limits.rate_limit_per_sec = 10_000;
    config.limits.rate_limit_burst = 10_000;
    config
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(test_config(), Overrides::default()).await
    }

    pub async fn spawn_with(mut config: Config, mut overrides: Overrides) -> Self {
        let db = (crate::STORE == StoreKind::Postgres && config.database.url.is_none())
            .then(thunderphone_test_db::TestDb::migrated);
        if let Some(db) = &db {
            config.database.url = Some(Secret::new(db.url().to_owned()));
        }
        if overrides.verifier.is_none() {
            overrides.verifier = Some(Arc::new(ScriptedVerifier));
        }
        if overrides.activation.is_none() {
            overrides.activation = Some(ActivationPolicy {
                attempt_timeout: Duration::from_millis(500),
                max_attempts: 3,
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(50),
                poll_interval: Duration::from_millis(50),
                max_in_flight: 64,
            });
        }
        let running = start(&config, overrides).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        Self {
            base,
            client,
            running: Some(running),
            _db: db,
        }
    }

    /// Closes the client's idle connections, then stops the server
    /// gracefully (it waits for open connections).
    pub async fn stop(mut self) {
        let running = self.running.take();
        let db = self._db.take();
        drop(self);
        if let Some(running) = running {
            running.stop().await;
        }
        drop(db);
    }

    /// The test's own database, for a second instance on the same data
    /// (Postgres runs only).
    pub fn database_url(&self) -> Option<String> {
        self._db.as_ref().map(|db| db.url().to_owned())
    }

    /// The value of a counter or gauge in `/metrics` (0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body");
        text.lines()
            .find_map(|line| {
                let (metric, value) = line.split_once(' ')?;
                (metric == name).then(|| value.trim().parse::<f64>().ok())?
            })
            .unwrap_or(0.0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn req(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// Sends and returns status, headers and JSON body (`Null` when empty).
    pub async fn send(&self, rb: RequestBuilder) -> Response {
        let res = rb.send().await.expect("request completes");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.send(self.req(Method::GET, path, key)).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Response {
        self.send(self.req(Method::POST, path, key).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Response {
        self.send(self.req(Method::PATCH, path, key).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Response {
        self.send(self.req(Method::PUT, path, key).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Response {
        self.send(self.req(Method::DELETE, path, key)).await
    }

    pub async fn create_org(&self, name: &str) -> i64 {
        let r = self
            .send(
                self.admin(Method::POST, "/admin/v1/orgs")
                    .json(&json!({ "name": name })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.id()
    }

    pub async fn create_user(&self, email: &str) -> i64 {
        let r = self
            .send(
                self.admin(Method::POST, "/admin/v1/users")
                    .json(&json!({ "email": email })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.id()
    }

    pub async fn set_role(&self, org_id: i64, user_id: i64, role: &str) {
        let path = format!("/admin/v1/orgs/{org_id}/members/{user_id}");
        let r = self
            .send(
                self.admin(Method::PUT, &path)
                    .json(&json!({ "role": role })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }

    pub async fn issue_key(&self, user_id: i64, org_id: i64) -> String {
        let r = self
            .send(
                self.admin(Method::POST, "/admin/v1/api-keys")
                    .json(&json!({ "user_id": user_id, "org_id": org_id })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["key"].as_str().expect("key").to_owned()
    }

    /// A fresh org with one user of the given role and their key.
    pub async fn tenant(&self, role: &str) -> Tenant {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let org_id = self.create_org(&format!("Org {n}")).await;
        let user_id = self.create_user(&format!("user{n}@example.com")).await;
        self.set_role(org_id, user_id, role).await;
        let key = self.issue_key(user_id, org_id).await;
        Tenant {
            org_id,
            user_id,
            key,
        }
    }

    /// A key for an existing user in another org they get `role` in.
    pub async fn join(&self, user_id: i64, org_id: i64, role: &str) -> String {
        self.set_role(org_id, user_id, role).await;
        self.issue_key(user_id, org_id).await
    }

    pub async fn create_agent(&self, key: &str, name: &str) -> i64 {
        let r = self.post("/v1/agents", key, json!({ "name": name })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.id()
    }

    pub async fn provision(&self, key: &str, body: Value) -> Response {
        self.post("/v1/phone-numbers", key, body).await
    }

    /// Provisions a number and waits until the demo provider activated it.
    pub async fn active_number(&self, key: &str, area_code: &str) -> Value {
        let r = self.provision(key, json!({ "area_code": area_code })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        self.wait_for_status(key, r.id(), "active").await
    }

    pub async fn wait_for_status(&self, key: &str, id: i64, status: &str) -> Value {
        for _ in 0..200 {
            let r = self.get(&format!("/v1/phone-numbers/{id}"), key).await;
            if r.body["status"] == status {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("number {id} never became {status}");
    }

    pub async fn sip_connection(&self, key: &str, uri: &str) -> i64 {
        let body = json!({ "name": "Office PBX", "provider": "sip", "termination_uri": uri,
            "credentials": { "username": "pbx-user", "password": "pbx-secret-password" } });
        let r = self.post("/v1/voip-connections", key, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.id()
    }

    pub async fn import(&self, key: &str, connection: i64, numbers: &[&str]) -> Response {
        self.post(
            &format!("/v1/voip-connections/{connection}/import"),
            key,
            json!({ "numbers": numbers }),
        )
        .await
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Response {
    pub fn id(&self) -> i64 {
        self.body["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no id in {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {:?}",
            self.body
        );
        assert_eq!(self.body["code"], code, "body: {:?}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["type"], "about:blank");
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{:?}",
            self.body
        );
    }
}

/// The Redis every development and CI machine runs.
pub const REDIS_URL: &str = "redis://127.0.0.1:6379/";

/// A key prefix of the test's own in that Redis; its keys are deleted
/// when it is dropped. Creating one fails the test, saying why, when
/// Redis cannot be reached: a test that needs it is never skipped.
pub struct RedisPrefix(pub String);

impl RedisPrefix {
    pub fn new() -> Self {
        let mut conn = redis_connection();
        let _: String = redis::cmd("PING")
            .query(&mut conn)
            .expect("Redis answers PING");
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("randomness");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("thunderphone-test:{hex}:"))
    }
}

fn redis_connection() -> redis::Connection {
    redis::Client::open(REDIS_URL)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(2)))
        .unwrap_or_else(|e| {
            panic!(
                "this test needs Redis at {REDIS_URL} (start redis-server; CI machines run it): {e}"
            )
        })
}

impl Drop for RedisPrefix {
    fn drop(&mut self) {
        let mut conn = redis_connection();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.0))
            .query(&mut conn)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<(), _> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}
