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

    fails_with(
        &thunderphone(Some(&db), &["admin", "rotate-secrets"], None),
        "THUNDERPHONE_SECRET_KEY",
    );
    let key = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let rotated = json(&thunderphone(
        Some(&db),
        &["admin", "rotate-secrets"],
        Some(key),
    ));
    assert_eq!(rotated["resealed"], 0);
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
    ] {
        let output = thunderphone(None, &args, None);
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage:"),
            "{args:?}"
        );
    }
}
