#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thunderphone_domain::{Secret, SipPassword, SipUsername, TwilioAccountSid, VoipCredentials};
use thunderphone_ports::{CredentialVault, VaultError};

use super::*;

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn twilio() -> VoipCredentials {
    VoipCredentials::Twilio {
        account_sid: TwilioAccountSid::parse(SID).unwrap(),
        auth_token: Secret::new("hunter2-token"),
    }
}

#[test]
fn seals_and_opens_every_kind() {
    let vault = AesGcmVault::new(KeyRing::parse(&format!("main:{}", key(1))).unwrap());
    for creds in [
        twilio(),
        VoipCredentials::Telnyx {
            api_key: Secret::new("KEY-1"),
        },
        VoipCredentials::Sip {
            username: Some(SipUsername::parse("u%40corp").unwrap()),
            password: Some(SipPassword::parse("p").unwrap()),
        },
        VoipCredentials::Sip {
            username: None,
            password: None,
        },
    ] {
        let sealed = vault.seal(&creds).unwrap();
        assert_eq!(sealed.key_id, "main");
        assert_eq!(vault.open(&sealed).unwrap(), creds);
    }
}

#[test]
fn ciphertext_hides_the_secret_and_is_randomised() {
    let vault = AesGcmVault::new(KeyRing::parse(&key(1)).unwrap());
    let a = vault.seal(&twilio()).unwrap();
    let b = vault.seal(&twilio()).unwrap();
    assert_ne!(a.ciphertext, b.ciphertext, "fresh nonce each time");
    let text = String::from_utf8_lossy(&a.ciphertext);
    assert!(!text.contains("hunter2") && !format!("{a:?}").contains("hunter2"));
}

#[test]
fn tampering_and_wrong_keys_are_detected() {
    let vault = AesGcmVault::new(KeyRing::parse(&format!("a:{}", key(1))).unwrap());
    let mut sealed = vault.seal(&twilio()).unwrap();
    let last = sealed.ciphertext.len() - 1;
    sealed.ciphertext[last] ^= 1;
    assert_eq!(vault.open(&sealed), Err(VaultError::Corrupt));
    let other = AesGcmVault::new(KeyRing::parse(&format!("a:{}", key(2))).unwrap());
    let sealed = vault.seal(&twilio()).unwrap();
    assert_eq!(other.open(&sealed), Err(VaultError::Corrupt));
    let renamed = thunderphone_ports::SealedCredentials {
        key_id: "b".into(),
        ..sealed.clone()
    };
    assert_eq!(
        vault.open(&renamed),
        Err(VaultError::UnknownKey("b".into()))
    );
    assert_eq!(
        vault.open(&thunderphone_ports::SealedCredentials {
            key_id: "a".into(),
            ciphertext: vec![]
        }),
        Err(VaultError::Corrupt)
    );
}

#[test]
fn rotation_keeps_old_values_readable() {
    let old = AesGcmVault::new(KeyRing::parse(&format!("old:{}", key(1))).unwrap());
    let sealed_old = old.seal(&twilio()).unwrap();
    let rotated =
        AesGcmVault::new(KeyRing::parse(&format!("new:{}, old:{}", key(2), key(1))).unwrap());
    assert_eq!(rotated.current_key_id().as_deref(), Some("new"));
    assert_eq!(rotated.open(&sealed_old).unwrap(), twilio());
    assert_eq!(rotated.seal(&twilio()).unwrap().key_id, "new");
}

#[test]
fn no_key_refuses_to_seal() {
    let vault = AesGcmVault::new(KeyRing::empty());
    assert_eq!(vault.seal(&twilio()), Err(VaultError::NoKey));
    assert_eq!(vault.current_key_id(), None);
}

#[test]
fn key_ring_parsing() {
    let ring = KeyRing::parse(&key(7)).unwrap();
    let id = ring.ids()[0].to_owned();
    assert!(id.starts_with('k') && id.len() == 9, "{id}");
    assert_eq!(
        KeyRing::parse(&key(7)).unwrap().ids(),
        vec![id.as_str()],
        "derived ids are stable"
    );
    assert_eq!(
        KeyRing::parse("not-base64!").unwrap_err(),
        KeyRingError::BadKey(1)
    );
    assert_eq!(
        KeyRing::parse(&STANDARD.encode([1u8; 16])).unwrap_err(),
        KeyRingError::BadKey(1)
    );
    assert_eq!(
        KeyRing::parse(&format!("a b:{}", key(1))).unwrap_err(),
        KeyRingError::BadId(1)
    );
    assert_eq!(
        KeyRing::parse(&format!("a:{},a:{}", key(1), key(2))).unwrap_err(),
        KeyRingError::DuplicateId("a".into())
    );
    assert!(KeyRing::parse("").unwrap().is_empty());
    assert!(!format!("{ring:?}").contains(&key(7)));
}

#[test]
fn legacy_plaintext_rows_can_be_opened_for_resealing() {
    let vault = AesGcmVault::new(KeyRing::parse(&key(1)).unwrap());
    let legacy = thunderphone_ports::SealedCredentials {
        key_id: LEGACY_PLAINTEXT.into(),
        ciphertext: format!(
            r#"{{"provider":"twilio","account_sid":"{SID}","auth_token":"hunter2-token"}}"#
        )
        .into_bytes(),
    };
    assert_eq!(vault.open(&legacy).unwrap(), twilio());
    assert_eq!(
        KeyRing::parse(&format!("plaintext:{}", key(1))).unwrap_err(),
        KeyRingError::BadId(1)
    );
}

/// Seals a plaintext document as an earlier version wrote it.
fn sealed_plain(vault: &AesGcmVault, json: &str) -> thunderphone_ports::SealedCredentials {
    vault
        .encrypt(Purpose::VoipCredentials, json.as_bytes())
        .unwrap()
}

#[test]
fn the_stored_format_is_unchanged() {
    let vault = AesGcmVault::new(KeyRing::parse(&key(1)).unwrap());
    let sip = VoipCredentials::Sip {
        username: Some(SipUsername::parse("+15551234567").unwrap()),
        password: Some(SipPassword::parse("pw").unwrap()),
    };
    let sealed = vault.seal(&sip).unwrap();
    assert_eq!(
        String::from_utf8(vault.decrypt(Purpose::VoipCredentials, &sealed).unwrap()).unwrap(),
        r#"{"provider":"sip","username":"+15551234567","password":"pw"}"#
    );
    let old = sealed_plain(
        &vault,
        r#"{"provider":"sip","username":"+15551234567","password":"pw"}"#,
    );
    assert_eq!(vault.open(&old).unwrap(), sip);
}

#[test]
fn stored_values_that_break_todays_rules_are_outdated_not_corrupt() {
    let vault = AesGcmVault::new(KeyRing::parse(&format!("old:{}", key(1))).unwrap());
    for (json, field) in [
        (
            r#"{"provider":"sip","username":"alice\r\nQUIT","password":"p"}"#,
            "credentials.username",
        ),
        (
            r#"{"provider":"sip","username":"a b","password":"p"}"#,
            "credentials.username",
        ),
        (
            r#"{"provider":"sip","username":"a","password":"p\u0000"}"#,
            "credentials.password",
        ),
        (
            r#"{"provider":"twilio","account_sid":"AC123","auth_token":"t"}"#,
            "credentials.account_sid",
        ),
        (
            r#"{"provider":"telnyx","api_key":"k\n"}"#,
            "credentials.api_key",
        ),
    ] {
        let sealed = sealed_plain(&vault, json);
        assert_eq!(
            vault.open(&sealed),
            Err(VaultError::Outdated(field)),
            "{json}"
        );
        // Rotation still carries it over, byte for byte.
        let rotated =
            AesGcmVault::new(KeyRing::parse(&format!("new:{}, old:{}", key(2), key(1))).unwrap());
        let resealed = rotated.reseal(&sealed).unwrap();
        assert_eq!(resealed.key_id, "new");
        assert_eq!(
            rotated
                .decrypt(Purpose::VoipCredentials, &resealed)
                .unwrap(),
            json.as_bytes()
        );
    }
    let not_json = sealed_plain(&vault, "nope");
    assert_eq!(vault.open(&not_json), Err(VaultError::Corrupt));
}

#[test]
fn reseal_needs_a_key_and_an_openable_value() {
    let vault = AesGcmVault::new(KeyRing::parse(&format!("a:{}", key(1))).unwrap());
    let sealed = vault.seal(&twilio()).unwrap();
    assert_eq!(
        AesGcmVault::new(KeyRing::empty()).reseal(&sealed),
        Err(VaultError::NoKey)
    );
    let other = AesGcmVault::new(KeyRing::parse(&format!("b:{}", key(2))).unwrap());
    assert_eq!(
        other.reseal(&sealed),
        Err(VaultError::UnknownKey("a".into()))
    );
    let resealed = vault.reseal(&sealed).unwrap();
    assert_ne!(resealed.ciphertext, sealed.ciphertext);
    assert_eq!(vault.open(&resealed).unwrap(), twilio());
}

#[test]
fn webhook_secrets_are_sealed_for_their_purpose_only() {
    let vault = AesGcmVault::new(KeyRing::parse(&key(7)).unwrap_or_else(|e| panic!("{e}")));
    let sealed = vault
        .seal_webhook_secret(b"0123456789abcdef0123456789abcdef")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        vault.open_webhook_secret(&sealed).as_deref(),
        Ok(&b"0123456789abcdef0123456789abcdef"[..])
    );
    // A secret is not credentials, and credentials are not a secret.
    assert_eq!(vault.open(&sealed), Err(VaultError::Corrupt));
    let credentials = vault.seal(&twilio()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        vault.open_webhook_secret(&credentials),
        Err(VaultError::Corrupt)
    );
    assert_eq!(
        AesGcmVault::new(KeyRing::empty()).seal_webhook_secret(b"x"),
        Err(VaultError::NoKey)
    );
}

#[test]
fn webhook_secrets_move_to_the_current_key_and_keep_their_purpose() {
    let old = AesGcmVault::new(KeyRing::parse(&format!("old:{}", key(1))).unwrap());
    let sealed = old.seal_webhook_secret(b"signing secret").unwrap();
    let rotated =
        AesGcmVault::new(KeyRing::parse(&format!("new:{}, old:{}", key(2), key(1))).unwrap());
    let resealed = rotated.reseal_webhook_secret(&sealed).unwrap();
    assert_eq!(resealed.key_id, "new");
    assert_eq!(
        rotated.open_webhook_secret(&resealed).as_deref(),
        Ok(&b"signing secret"[..])
    );
    // Still a secret, never credentials; and the old key alone cannot
    // read it any more.
    assert_eq!(rotated.open(&resealed), Err(VaultError::Corrupt));
    assert_eq!(
        old.open_webhook_secret(&resealed),
        Err(VaultError::UnknownKey("new".into()))
    );
    // Credentials are not resealed as a secret.
    let credentials = old.seal(&twilio()).unwrap();
    assert_eq!(
        rotated.reseal_webhook_secret(&credentials),
        Err(VaultError::Corrupt)
    );
    assert_eq!(
        AesGcmVault::new(KeyRing::empty()).reseal_webhook_secret(&sealed),
        Err(VaultError::NoKey)
    );
}
