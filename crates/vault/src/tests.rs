#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thunderphone_domain::{Secret, VoipCredentials};
use thunderphone_ports::{CredentialVault, VaultError};

use super::*;

fn key(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

fn twilio() -> VoipCredentials {
    VoipCredentials::Twilio {
        account_sid: "AC123".into(),
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
            username: Some("u".into()),
            password: Some(Secret::new("p")),
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
        ciphertext: br#"{"provider":"twilio","account_sid":"AC123","auth_token":"hunter2-token"}"#
            .to_vec(),
    };
    assert_eq!(vault.open(&legacy).unwrap(), twilio());
    assert_eq!(
        KeyRing::parse(&format!("plaintext:{}", key(1))).unwrap_err(),
        KeyRingError::BadId(1)
    );
}
