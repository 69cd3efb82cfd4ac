//! `thunderphone migrate` and every `thunderphone admin` subcommand, run as
//! the real binary against a test database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::{Command, Output};

use serde_json::Value;
use thunderphone_test_db::TestDb;

fn thunderphone(db: Option<&TestDb>, args: &[&str], secret_key: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_thunderphone"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("THUNDERPHONE_SECRET_KEY")
        .env("RUST_LOG", "warn");
    if let Some(db) = db {
        cmd.env("DATABASE_URL", db.url());
    }
    if let Some(key) = secret_key {
        cmd.env("THUNDERPHONE_SECRET_KEY", key);
    }
    cmd.output().unwrap()
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A failure is one line on stderr and a non-zero exit.
fn fails_with(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains(needle), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

#[test]
fn admin_commands_manage_tenancy_end_to_end() {
    let db = TestDb::create();
    let migrated = thunderphone(Some(&db), &["migrate"], None);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(
        thunderphone(Some(&db), &["migrate"], None).status.success(),
        "migrate is idempotent"
    );

    let org = json(&thunderphone(
        Some(&db),
        &["admin", "create-org", "--name", "Acme"],
        None,
    ));
    assert_eq!(org["name"], "Acme");
    assert!(
        org["created_at"].as_str().unwrap().ends_with('Z'),
        "timestamps as the API prints them: {org}"
    );
    let org_id = org["id"].to_string();
    let user = json(&thunderphone(
        Some(&db),
        &["admin", "create-user", "--email", "Ops@Acme.example"],
        None,
    ));
    assert_eq!(user["email"], "ops@acme.example");
    let user_id = user["id"].to_string();
    fails_with(
        &thunderphone(
            Some(&db),
            &["admin", "create-key", "--user", &user_id, "--org", &org_id],
            None,
        ),
        "member",
    );
    let role = json(&thunderphone(
        Some(&db),
        &[
            "admin", "set-role", "--org", &org_id, "--user", &user_id, "--role", "owner",
        ],
        None,
    ));
    assert_eq!(role["role"], "owner");
    let key = json(&thunderphone(
        Some(&db),
        &["admin", "create-key", "--user", &user_id, "--org", &org_id],
        None,
    ));
    assert!(key["key"].as_str().unwrap().starts_with("tpk_"));
    let key_id = key["id"].to_string();
    let revoked = json(&thunderphone(
        Some(&db),
        &["admin", "revoke-key", "--id", &key_id],
        None,
    ));
    assert_eq!(revoked["revoked"].to_string(), key_id);
    fails_with(
        &thunderphone(Some(&db), &["admin", "revoke-key", "--id", &key_id], None),
        "not found",
    );

    fails_with(
        &thunderphone(
            Some(&db),
            &[
                "admin", "set-role", "--org", &org_id, "--user", &user_id, "--role", "king",
            ],
            None,
        ),
        "--role",
    );
    fails_with(
        &thunderphone(Some(&db), &["admin", "create-org", "--name", "  "], None),
        "--name",
    );
    fails_with(
        &thunderphone(
            Some(&db),
            &["admin", "create-user", "--email", "ops@acme.example"],
            None,
        ),
        "already registered",
    );
    fails_with(
        &thunderphone(
            Some(&db),
            &[
                "admin", "set-role", "--org", "0", "--user", &user_id, "--role", "admin",
            ],
            None,
        ),
        "--org",
    );

    let no_key = thunderphone(Some(&db), &["admin", "rotate-secrets"], None);
    fails_with(&no_key, "rotate-secrets needs the keys");
    assert!(
        !String::from_utf8_lossy(&no_key.stderr).contains("this server"),
        "speaks to the operator"
    );
    let key = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let rotated = json(&thunderphone(
        Some(&db),
        &["admin", "rotate-secrets"],
        Some(key),
    ));
    assert_eq!(rotated["resealed"], 0);
}

/// JSON lines of a successful command.
fn lines(output: &Output) -> Vec<Value> {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn list_commands_print_one_line_per_item_and_take_the_url_anywhere() {
    let db = TestDb::create();
    // `--database-url` after the subcommand, as well as before it.
    let after = |args: &[&str]| {
        let mut all = vec!["admin"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database-url", db.url()]);
        thunderphone(None, &all, None)
    };
    let acme = json(&after(&["create-org", "--name", "Acme"]));
    let before = thunderphone(
        None,
        &[
            "admin",
            "--database-url",
            db.url(),
            "create-org",
            "--name",
            "Globex",
        ],
        None,
    );
    let globex = json(&before);
    let ada = json(&after(&["create-user", "--email", "ada@example.com"]));
    let (acme_id, ada_id) = (acme["id"].to_string(), ada["id"].to_string());
    json(&after(&[
        "set-role", "--org", &acme_id, "--user", &ada_id, "--role", "admin",
    ]));
    let key = json(&after(&[
        "create-key",
        "--user",
        &ada_id,
        "--org",
        &acme_id,
    ]));

    let orgs = lines(&after(&["list-orgs"]));
    assert_eq!(orgs, [globex.clone(), acme], "newest first");
    assert_eq!(lines(&after(&["list-users"])), [ada]);
    let members = lines(&after(&["list-members", "--org", &acme_id]));
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["role"], "admin");
    let keys = lines(&after(&["list-keys", "--user", &ada_id]));
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], key["id"]);
    assert!(keys[0]["revoked_at"].is_null());
    assert!(
        keys[0].get("key").is_none(),
        "never the secret: {}",
        keys[0]
    );
    assert!(lines(&after(&["list-keys", "--org", &globex["id"].to_string()])).is_empty());
    fails_with(
        &after(&["list-members", "--org", "999999"]),
        "org not found",
    );
}

#[test]
fn migrate_help_speaks_of_migrating() {
    let output = thunderphone(None, &["migrate", "--help"], None);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("database to migrate"), "{help}");
    assert!(!help.contains("admin commands"), "{help}");
}

#[test]
fn admin_commands_need_a_database() {
    let output = thunderphone(None, &["admin", "create-org", "--name", "Acme"], None);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--database-url"));
    let unreachable = Command::new(env!("CARGO_BIN_EXE_thunderphone"))
        .args(["admin", "create-org", "--name", "Acme"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nowhere")
        .output()
        .unwrap();
    fails_with(&unreachable, "database");
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "create-org", "--help"],
        vec!["admin", "create-user", "--help"],
        vec!["admin", "set-role", "--help"],
        vec!["admin", "create-key", "--help"],
        vec!["admin", "revoke-key", "--help"],
        vec!["admin", "rotate-secrets", "--help"],
        vec!["admin", "list-orgs", "--help"],
        vec!["admin", "list-users", "--help"],
        vec!["admin", "list-members", "--help"],
        vec!["admin", "list-keys", "--help"],
    ] {
        let output = thunderphone(None, &args, None);
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}
