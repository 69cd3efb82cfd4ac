//! `serve --demo`: a ready-to-use tenant, so a newcomer can try the API
//! right away.

use anyhow::Context;
use thunderphone_app::{App, IssuedApiKey};
use thunderphone_domain::{DisplayName, Email, OrgId, Role};

/// What demo mode created.
pub struct DemoTenant {
    /// The demo org.
    pub org_id: OrgId,
    /// A second org the demo user administers, to try transfers.
    pub partner_org_id: OrgId,
    /// The two agents.
    pub agent_ids: [i64; 2],
    /// The owner's API key.
    pub key: IssuedApiKey,
}

fn name(value: &str) -> anyhow::Result<DisplayName> {
    DisplayName::parse(value).context("demo name")
}

/// Creates a demo org and a partner org, an owner (admin in the partner
/// org), two agents and an API key.
///
/// # Errors
/// When the store refuses.
pub async fn seed(app: &App) -> anyhow::Result<DemoTenant> {
    let org = app.create_org(name("Demo Org")?).await?;
    let partner = app.create_org(name("Demo Partner Org")?).await?;
    let user = app
        .create_user(Email::parse("owner@demo.thunderphone.dev").context("demo e-mail")?)
        .await?;
    app.set_membership(org.id, user.id, Role::Owner).await?;
    app.set_membership(partner.id, user.id, Role::Admin).await?;
    let key = app.create_api_key(user.id, org.id).await?;
    let principal = app.authenticate(&key.key).await?;
    let front = app.create_agent(&principal, name("Front desk")?).await?;
    let sales = app
        .create_agent(&principal, name("Outbound sales")?)
        .await?;
    Ok(DemoTenant {
        org_id: org.id,
        partner_org_id: partner.id,
        agent_ids: [front.id.get(), sales.id.get()],
        key,
    })
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

/// A random operator token for the demo.
///
/// # Errors
/// When the OS has no randomness to give.
pub fn admin_token() -> anyhow::Result<String> {
    let hex: String = random_bytes::<16>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("demo-admin-{hex}"))
}

/// A random secret key that lives as long as the demo process.
///
/// # Errors
/// When the OS has no randomness to give.
pub fn ephemeral_secret_key() -> anyhow::Result<String> {
    use base64::Engine;
    Ok(format!(
        "demo:{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes::<32>()?)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_tokens_carry_128_random_bits() {
        let Ok(a) = admin_token() else {
            panic!("randomness")
        };
        let Ok(b) = admin_token() else {
            panic!("randomness")
        };
        let hex = a.strip_prefix("demo-admin-").unwrap_or_default();
        assert_eq!(hex.len(), 32, "{a}");
        assert!(hex.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, b);
    }
}
