//! `thunderphone admin list-…`: the operator's lists (API.md §17) from the
//! command line. Every page is read in turn and each item printed as one
//! JSON line as soon as it arrives, so long lists stream into `jq` or a
//! file without being held in memory.

use thunderphone_app::App;
use thunderphone_domain::{OrgId, UserId};
use thunderphone_ports::{ApiKeyFilter, ListCursor, Page, PageLimit, PageRequest};

use crate::admin::{AdminCommand, explain, id};
use crate::admin_output as output;

/// Prints every item of a list, page by page.
async fn stream<T, F, Fut>(
    print: &mut dyn FnMut(&str),
    render: impl Fn(&T) -> String,
    read: F,
) -> anyhow::Result<()>
where
    F: Fn(PageRequest<ListCursor>) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T, ListCursor>, thunderphone_app::AppError>>,
{
    let limit = PageLimit::new(i64::from(PageLimit::MAX)).unwrap_or_default();
    let mut request = PageRequest::first(limit);
    loop {
        let page = read(request).await.map_err(explain)?;
        for item in &page.items {
            print(&render(item));
        }
        match page.next {
            // The store's cursors always move forward.
            Some(next) if request.after != Some(next) => request.after = Some(next),
            _ => return Ok(()),
        }
    }
}

/// Runs a `list-…` command; any other command is a caller's mistake.
///
/// # Errors
/// Invalid ids, a missing org, or an unreachable database.
pub(crate) async fn run(
    app: &App,
    command: AdminCommand,
    print: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    match command {
        AdminCommand::ListOrgs => stream(print, output::org, |p| app.list_orgs(p)).await,
        AdminCommand::ListUsers => stream(print, output::user, |p| app.list_users(p)).await,
        AdminCommand::ListMembers { org } => {
            let org: OrgId = id("--org", org, OrgId::new)?;
            stream(print, output::membership, |p| app.list_members(org, p)).await
        }
        AdminCommand::ListKeys { org, user } => {
            let filter = ApiKeyFilter {
                org_id: org.map(|o| id("--org", o, OrgId::new)).transpose()?,
                user_id: user.map(|u| id("--user", u, UserId::new)).transpose()?,
            };
            stream(print, output::listed_key, |p| app.list_api_keys(filter, p)).await
        }
        _ => anyhow::bail!("not a list command"),
    }
}
