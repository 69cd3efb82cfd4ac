//! `serve --demo`: a ready-to-use tenant, so a newcomer can try the API
//! right away.

use anyhow::Context;
use thunderphone_app::{App, AppError, IssuedApiKey, NewTenant};
use thunderphone_domain::{DisplayName, Email, OrgId, Role};
use thunderphone_ports::{PageLimit, PageRequest};

/// The demo owner's address: how a database that already holds the demo
/// tenant is recognised.
pub const DEMO_EMAIL: &str = "owner@demo.thunderphone.dev";

/// What demo mode created or found.
pub struct DemoTenant {
    /// The demo org.
    pub org_id: OrgId,
    /// A second org the demo user administers, to try transfers.
    pub partner_org_id: OrgId,
    /// The demo org's first agents (at most two), oldest first.
    pub agent_ids: Vec<i64>,
    /// A fresh API key of the owner.
    pub key: IssuedApiKey,
    /// True when the tenant was already in the database (only the key is
    /// new).
    pub reused: bool,
}

fn name(value: &str) -> anyhow::Result<DisplayName> {
    DisplayName::parse(value).context("demo name")
}

fn demo_email() -> anyhow::Result<Email> {
    Email::parse(DEMO_EMAIL).context("demo e-mail")
}

/// The demo tenant: reused with a fresh key when the store holds it
/// already (a restarted demo on Postgres), else created all at once — a
/// demo org and a partner org, an owner (admin in the partner org), two
/// agents and an API key — so a failed try leaves nothing behind.
///
/// # Errors
/// When the store refuses or cannot be reached, or the demo user exists
/// without the demo org.
pub async fn seed(app: &App) -> anyhow::Result<DemoTenant> {
    if let Some(found) = reuse(app).await? {
        return Ok(found);
    }
    let tenant = NewTenant {
        orgs: vec![name("Demo Org")?, name("Demo Partner Org")?],
        email: demo_email()?,
        roles: vec![(0, Role::Owner), (1, Role::Admin)],
        agents: vec![(0, name("Front desk")?), (0, name("Outbound sales")?)],
        key_org: 0,
    };
    match app.create_tenant(tenant).await {
        Ok(created) => {
            let [org, partner] = created.orgs.as_slice() else {
                anyhow::bail!("the demo seed did not create two orgs");
            };
            Ok(DemoTenant {
                org_id: org.id,
                partner_org_id: partner.id,
                agent_ids: created.agents.iter().map(|a| a.id.get()).collect(),
                key: created.key,
                reused: false,
            })
        }
        // Another process seeded it meanwhile: use theirs.
        Err(AppError::Validation(errors)) if errors.iter().any(|e| e.field == "email") => {
            reuse(app)
                .await?
                .context("the demo user appeared but cannot be read back")
        }
        Err(error) => Err(error.into()),
    }
}

/// The demo tenant already in the store, with a fresh key; `None` when
/// there is none.
async fn reuse(app: &App) -> anyhow::Result<Option<DemoTenant>> {
    let Some(user) = app.find_user_by_email(&demo_email()?).await? else {
        return Ok(None);
    };
    let memberships = app.user_memberships(user.id).await?;
    let owned = memberships
        .iter()
        .find(|m| m.role == Role::Owner)
        .with_context(|| {
            format!("{DEMO_EMAIL} exists but owns no org; use another database for the demo")
        })?;
    let partner = memberships
        .iter()
        .find(|m| m.org_id != owned.org_id && m.role >= Role::Admin)
        .map_or(owned.org_id, |m| m.org_id);
    let key = app.create_api_key(user.id, owned.org_id).await?;
    let principal = app.authenticate(&key.key).await?;
    let limit = PageLimit::new(i64::from(PageLimit::MAX)).unwrap_or_default();
    let agents = app
        .list_agents(&principal, PageRequest::first(limit))
        .await?;
    // Newest first: the demo's own agents are the oldest.
    let agent_ids = agents
        .items
        .iter()
        .rev()
        .take(2)
        .map(|a| a.id.get())
        .collect();
    Ok(Some(DemoTenant {
        org_id: owned.org_id,
        partner_org_id: partner,
        agent_ids,
        key,
        reused: true,
    }))
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
    Ok(format!("demo-admin-{}", hex::encode(random_bytes::<16>()?)))
}

/// A random secret key (`demo:<base64 of 32 bytes>`): the embedded
/// store's throwaway key, and the key the banner suggests on Postgres.
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

/// The demo's greeting: what was created, ready-to-paste commands, and
/// where to go next.
pub struct Banner<'a> {
    /// The address the server listens on.
    pub addr: String,
    /// The demo tenant.
    pub tenant: &'a DemoTenant,
    /// The operator token, when the demo generated it.
    pub generated_admin_token: Option<&'a str>,
    /// True on Postgres: the tenant outlives the process, the generated
    /// token does not.
    pub persistent: bool,
    /// Whether `THUNDERPHONE_SECRET_KEY` (or the demo's throwaway key) is
    /// set, so VoIP connections can be stored.
    pub secret_key_set: bool,
}

impl Banner<'_> {
    /// The lines to print.
    ///
    /// # Errors
    /// When the OS has no randomness for a suggested secret key.
    pub fn render(&self) -> anyhow::Result<String> {
        let t = self.tenant;
        let addr = &self.addr;
        let agents = match t.agent_ids.as_slice() {
            [] => "no agents".to_owned(),
            [one] => format!("agent {one}"),
            ids => format!(
                "agents {}",
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        };
        let what = if t.reused {
            "reusing the demo tenant already in the database (a fresh key below)"
        } else {
            "created a demo tenant"
        };
        let mut lines = vec![
            String::new(),
            format!("ThunderPhone Numbers demo is running on http://{addr}: {what}"),
            format!(
                "  org {} (\"Demo Org\", you are owner), partner org {} (you are admin), {agents}",
                t.org_id, t.partner_org_id
            ),
            "Paste these into another shell:".to_owned(),
            format!("  export TP=http://{addr}"),
            format!("  export TP_KEY={}", t.key.key),
        ];
        match self.generated_admin_token {
            Some(token) => lines.push(format!("  export TP_ADMIN={token}")),
            None => lines.push("  export TP_ADMIN=\"$THUNDERPHONE_ADMIN_TOKEN\"".to_owned()),
        }
        lines.push("  curl -s -H \"Authorization: Bearer $TP_KEY\" $TP/v1/me".to_owned());
        lines.push(format!(
            "Or open the web console at http://{addr}/console and sign in with TP_KEY."
        ));
        if let (Some(token), true) = (self.generated_admin_token, self.persistent) {
            lines.push(format!(
                "The operator token lasts as long as this process. To keep it across restarts, \
                 start the server with: export THUNDERPHONE_ADMIN_TOKEN={token}"
            ));
        }
        if !self.secret_key_set {
            lines.push(format!(
                "VoIP connections need THUNDERPHONE_SECRET_KEY (it seals their credentials; keep \
                 it, they cannot be read without it). Restart with, for example: \
                 export THUNDERPHONE_SECRET_KEY={}",
                ephemeral_secret_key()?
            ));
        }
        lines.push(format!(
            "Next: the API reference at http://{addr}/docs (OpenAPI at /openapi.json), the guide \
             in docs/GUIDE.md, embedding in crates/app/examples/embedded.rs"
        ));
        lines.push(String::new());
        Ok(lines.join("\n"))
    }
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
