//! Embedding ThunderPhone Numbers in another Rust service, without the HTTP
//! adapter: pick an adapter for every port, build an [`App`], and call the
//! use cases directly with a [`Principal`].
//!
//! Here the store is the in-memory one, the carrier is a provider written
//! right in this file, and VoIP verification is not configured.
//!
//! Run it with `cargo run -p thunderphone-app --example embedded`.

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use thunderphone_app::{App, Ports, ProvisionRequest, Settings};
use thunderphone_carriers::UnsupportedVerifier;
use thunderphone_domain::{AreaCode, DisplayName, E164, Email, Role};
use thunderphone_outbound::{DnsGate, GateConfig};
use thunderphone_ports::{
    Inventory, NumberProvider, NumberQuery, ProviderError, SendOutcome, SystemClock,
    WebhookRequest, WebhookSender,
};
use thunderphone_store_memory::MemoryStore;
use thunderphone_vault::{AesGcmVault, KeyRing};

/// Your own carrier integration: anything implementing [`NumberProvider`].
/// This one brings every number live at once and logs what it is asked.
#[derive(Debug, Default)]
struct InstantProvider {
    activations: AtomicU32,
}

#[async_trait]
impl NumberProvider for InstantProvider {
    /// A carrier with its own inventory: provisioning searches it.
    fn inventory(&self) -> Inventory {
        Inventory::Carrier
    }

    /// A tiny fake inventory: two numbers in whatever area code is asked.
    async fn search(&self, query: &NumberQuery, limit: usize) -> Result<Vec<E164>, ProviderError> {
        let NumberQuery::AreaCode(area_code) = query else {
            return Ok(Vec::new());
        };
        let offered = ["0142", "0143"]
            .iter()
            .filter_map(|line| E164::parse(&format!("+1{area_code}555{line}")).ok())
            .take(limit)
            .collect();
        Ok(offered)
    }

    async fn activate(&self, number: &E164) -> Result<(), ProviderError> {
        let n = self.activations.fetch_add(1, Ordering::SeqCst) + 1;
        println!("[provider] activation request #{n}: {number} is live");
        Ok(())
    }

    async fn release(&self, number: &E164) -> Result<(), ProviderError> {
        println!("[provider] {number} given back");
        Ok(())
    }
}

/// Your own webhook transport: anything implementing [`WebhookSender`].
/// This one prints each attempt and answers 200.
#[derive(Debug)]
struct PrintingSender;

#[async_trait]
impl WebhookSender for PrintingSender {
    async fn send(&self, request: WebhookRequest) -> SendOutcome {
        println!("[webhook] {} to {}", request.webhook_id, request.url);
        SendOutcome::Answered {
            status: 200,
            body_excerpt: String::new(),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // One store value serves every storage port.
    let store = Arc::new(MemoryStore::new());
    let ports = Ports {
        numbers: store.clone(),
        keyed: store.clone(),
        agents: store.clone(),
        connections: store.clone(),
        tenancy: store.clone(),
        health: store.clone(),
        jobs: store.clone(),
        idempotency: store.clone(),
        sessions: store.clone(),
        events: store.clone(),
        webhooks: store,
        // Webhooks: print each attempt instead of sending it; the gate
        // judges webhook URLs as the server does.
        sender: Arc::new(PrintingSender),
        gate: Arc::new(DnsGate::new(GateConfig::default())),
        // No key: this service stores no VoIP credentials. Give the ring a
        // key (`KeyRing::parse`) to create VoIP connections.
        vault: Arc::new(AesGcmVault::new(KeyRing::empty())),
        provider: Arc::new(InstantProvider::default()),
        verifier: Arc::new(UnsupportedVerifier),
        clock: Arc::new(SystemClock),
    };
    let app = App::new(ports, Settings::default());
    app.ready().await?;

    // Tenancy is the operator's job: an org, a user who owns it, and an API
    // key. The key is shown once; only its hash is stored.
    let org = app.create_org(DisplayName::parse("Acme Dental")?).await?;
    let user = app.create_user(Email::parse("ops@acme.example")?).await?;
    app.set_membership(org.id, user.id, Role::Owner).await?;
    let issued = app.create_api_key(user.id, org.id).await?;
    println!(
        "org {} / user {} / API key {}…",
        org.id,
        user.id,
        &issued.key[..8]
    );

    // Every use case takes the caller; authenticate a bearer token to get it.
    let caller = app.authenticate(&issued.key).await?;
    println!(
        "authenticated as user {} ({}) in org {}",
        caller.user_id, caller.role, caller.org_id
    );

    let provisioned = app
        .provision(
            &caller,
            ProvisionRequest {
                area_code: Some(AreaCode::parse("415")?),
                ..ProvisionRequest::default()
            },
        )
        .await?;
    let id = provisioned.number.id();
    println!(
        "reserved {} (id {id}, matched on {}), status {}",
        provisioned.number.number(),
        provisioned.matched_on.as_str(),
        provisioned.number.status(),
    );

    // `provision` queued an activation job. A service would run
    // `app.run_activation_worker(shutdown)` in the background for all jobs;
    // here we run this one job inline to wait for its outcome.
    app.run_activation(id).await?;

    let number = app.get_number(&caller, id).await?;
    println!(
        "number {} is {} (version {})",
        number.number(),
        number.status(),
        number.version()
    );
    Ok(())
}
