//! Shared by the console's handler tests: an app on the memory store
//! with an org, its owner and a member, and request helpers.

#![allow(dead_code)]

use std::sync::Arc;

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use thunderphone_app::{App, Ports, Principal, Settings};
use thunderphone_carriers::{DemoProvider, UnsupportedVerifier};
use thunderphone_domain::{ApiKeyId, DisplayName, Email, Role, UserId};
use thunderphone_ports::{ListCursor, NumberFilter, PageRequest, SystemClock};
use thunderphone_store_memory::MemoryStore;
use thunderphone_vault::{AesGcmVault, KeyRing};

pub const HOST: &str = "127.0.0.1:8080";
pub const ORIGIN: &str = "http://127.0.0.1:8080";

pub struct World {
    pub app: App,
    pub store: Arc<MemoryStore>,
    pub owner: String,
    pub owner_key_id: ApiKeyId,
    pub owner_user: UserId,
    pub member: String,
}

pub async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let ports = Ports {
        numbers: store.clone(),
        agents: store.clone(),
        connections: store.clone(),
        tenancy: store.clone(),
        health: store.clone(),
        jobs: store.clone(),
        keyed: store.clone(),
        idempotency: store.clone(),
        sessions: store.clone(),
        events: store.clone(),
        webhooks: store.clone(),
        sender: Arc::new(thunderphone_ports::MockWebhookSender::new()),
        gate: Arc::new(thunderphone_outbound::DnsGate::new(
            thunderphone_outbound::GateConfig::default(),
        )),
        provider: Arc::new(DemoProvider::new(std::time::Duration::ZERO)),
        verifier: Arc::new(UnsupportedVerifier),
        clock: Arc::new(SystemClock),
        vault: Arc::new(AesGcmVault::new(
            KeyRing::parse("k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").unwrap(),
        )),
    };
    let app = App::new(ports, Settings::default());
    let org = app
        .create_org(DisplayName::parse("Acme").unwrap())
        .await
        .unwrap();
    let mut keys = Vec::new();
    let mut users = Vec::new();
    for (email, role) in [
        ("owner@example.com", Role::Owner),
        ("member@example.com", Role::Member),
    ] {
        let user = app.create_user(Email::parse(email).unwrap()).await.unwrap();
        app.set_membership(org.id, user.id, role).await.unwrap();
        users.push(user.id);
        keys.push(app.create_api_key(user.id, org.id).await.unwrap());
    }
    World {
        app,
        store,
        owner_key_id: keys[0].record.id,
        owner: keys[0].key.clone(),
        owner_user: users[0],
        member: keys[1].key.clone(),
    }
}

#[macro_export]
macro_rules! service {
    ($app:expr) => {
        test::init_service(
            actix_web::App::new().configure(thunderphone_console::configure($app.clone())),
        )
        .await
    };
}

pub fn post(path: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header((header::HOST, HOST))
        .insert_header((header::ORIGIN, ORIGIN))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

pub fn get(path: &str, cookie: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header((header::HOST, HOST))
        .insert_header((header::COOKIE, cookie.to_owned()))
}

pub fn set_cookie(res: &actix_web::dev::ServiceResponse) -> String {
    res.headers()
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn location(res: &actix_web::dev::ServiceResponse) -> &str {
    res.headers()
        .get(header::LOCATION)
        .map_or("", |v| v.to_str().unwrap())
}

pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Signs in with `key`; returns the `Cookie` header value and the page's
/// token for forms.
#[macro_export]
macro_rules! sign_in {
    ($svc:expr, $key:expr) => {{
        let res = test::call_service(
            &$svc,
            post("/console/sign-in", &format!("api_key={}", encode($key))).to_request(),
        )
        .await;
        assert_eq!(res.status(), actix_web::http::StatusCode::SEE_OTHER);
        let cookie = set_cookie(&res).split(';').next().unwrap().to_owned();
        let page = test::call_service(&$svc, get("/console/numbers", &cookie).to_request()).await;
        assert_eq!(page.status(), actix_web::http::StatusCode::OK);
        let body = String::from_utf8(test::read_body(page).await.to_vec()).unwrap();
        let token = body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a csrf field")
            .to_owned();
        (cookie, token)
    }};
}

pub async fn body(res: actix_web::dev::ServiceResponse) -> String {
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

/// The caller behind `key`.
pub async fn principal(app: &App, key: &str) -> Principal {
    app.authenticate(key).await.unwrap()
}

/// A change posted with the session's cookie from our own origin.
pub fn change(path: &str, cookie: &str, form: &str) -> actix_web::test::TestRequest {
    post(path, form).insert_header((header::COOKIE, cookie.to_owned()))
}

pub async fn numbers_of(app: &App, key: &str) -> usize {
    let caller: Principal = app.authenticate(key).await.unwrap();
    let page: PageRequest<ListCursor> = PageRequest::first(Default::default());
    app.list_numbers(&caller, NumberFilter::default(), page)
        .await
        .unwrap()
        .items
        .len()
}
