//! VoIP connections and importing numbers through them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use thunderphone_app::{AppError, ImportRequest, NewConnectionRequest};
use thunderphone_domain::{
    NewPhoneNumber, Role, SipUri, Source, VoipConnection, VoipCredentials, VoipProvider,
};
use thunderphone_ports::RepoError;

const CONN: i64 = 5;

fn sip(termination_uri: Option<&str>) -> NewConnectionRequest {
    NewConnectionRequest {
        name: name("Office PBX"),
        termination_uri: termination_uri.map(|u| SipUri::parse(u).unwrap()),
        credentials: VoipCredentials::Sip {
            username: Some(thunderphone_domain::SipUsername::parse("pbx").unwrap()),
            password: None,
        },
    }
}

fn connection_exists(m: &mut Mocks) {
    m.connections
        .expect_find_connection()
        .withf(|o, c| *o == org(ORG) && *c == connection_id(CONN))
        .times(1)
        .returning(|o, c| Ok(Some(twilio_connection(c.get(), o.get()))));
}

fn import(numbers: &[&str]) -> ImportRequest {
    ImportRequest {
        numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
    }
}

#[tokio::test]
async fn a_member_cannot_create_a_connection() {
    // No mock expects anything.
    let app = Mocks::new().app();

    let result = app
        .create_connection(
            &principal(Role::Member),
            sip(Some("sip:pbx.example.com:5060")),
        )
        .await;

    assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
}

#[tokio::test]
async fn a_member_cannot_delete_a_connection() {
    let app = Mocks::new().app();

    let result = app
        .delete_connection(&principal(Role::Member), connection_id(CONN))
        .await;

    assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
}

#[tokio::test]
async fn a_sip_connection_needs_a_termination_uri() {
    let app = Mocks::new().app();

    let result = app
        .create_connection(&principal(Role::Admin), sip(None))
        .await;

    let Err(AppError::Validation(errors)) = &result else {
        panic!("expected Validation, got {result:?}");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "termination_uri");
}

#[tokio::test]
async fn an_admin_creates_a_sip_connection_in_their_org() {
    let mut m = Mocks::new();
    m.connections
        .expect_create_connection()
        .withf(|new| {
            new.org_id == org(ORG)
                && new.name.as_str() == "Office PBX"
                && new
                    .termination_uri
                    .as_ref()
                    .is_some_and(|u| u.as_str() == "sip:pbx.example.com:5060")
                && new.provider == VoipProvider::Sip
                && new.credentials.key_id == "test"
                && new.created_at == t0()
        })
        .times(1)
        .returning(|new| {
            Ok(VoipConnection {
                id: connection_id(CONN),
                org_id: new.org_id,
                name: new.name,
                provider: new.provider,
                termination_uri: new.termination_uri,
                created_at: new.created_at,
            })
        });
    let app = m.app();

    let created = app
        .create_connection(
            &principal(Role::Owner),
            sip(Some("sip:pbx.example.com:5060")),
        )
        .await
        .unwrap();

    assert_eq!(created.id, connection_id(CONN));
    assert_eq!(created.provider, VoipProvider::Sip);
}

#[tokio::test]
async fn an_admin_deletes_a_connection_as_themselves() {
    let mut m = Mocks::new();
    let caller = principal(Role::Admin);
    m.connections
        .expect_delete_connection()
        .withf(move |o, c, now, actor| {
            *o == org(ORG)
                && *c == connection_id(CONN)
                && *now == t0()
                && *actor == Some(caller.actor())
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    let app = m.app();

    assert_eq!(
        app.delete_connection(&caller, connection_id(CONN)).await,
        Ok(())
    );
}

#[tokio::test]
async fn deleting_an_unknown_connection_is_not_found() {
    let mut m = Mocks::new();
    m.connections
        .expect_delete_connection()
        .times(1)
        .returning(|_, _, _, _| Err(RepoError::NotFound));
    let app = m.app();

    assert_eq!(
        app.delete_connection(&principal(Role::Admin), connection_id(CONN))
            .await,
        Err(AppError::NotFound("VoIP connection"))
    );
}

#[tokio::test]
async fn import_lists_every_bad_number_and_inserts_nothing() {
    let mut m = Mocks::new();
    connection_exists(&mut m);
    // insert_numbers is not expected.
    let app = m.app();

    let result = app
        .import_numbers(
            &principal(Role::Member),
            connection_id(CONN),
            import(&[
                "+1 212 555 2123",
                "not a number",
                "(212) 555-2123",
                "+1555",
                "+14155552142",
            ]),
        )
        .await;

    let Err(AppError::Validation(errors)) = &result else {
        panic!("expected Validation, got {result:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["numbers[1]", "numbers[2]", "numbers[3]"]);
    assert!(
        errors[1].message.contains("more than once"),
        "{:?}",
        errors[1]
    );
}

#[tokio::test]
async fn import_through_an_unknown_connection_is_not_found() {
    let mut m = Mocks::new();
    m.connections
        .expect_find_connection()
        .times(1)
        .returning(|_, _| Ok(None));
    let app = m.app();

    let result = app
        .import_numbers(
            &principal(Role::Member),
            connection_id(CONN),
            import(&["+12125552123"]),
        )
        .await;

    assert_eq!(result, Err(AppError::NotFound("VoIP connection")));
}

#[tokio::test]
async fn numbers_already_held_are_number_taken() {
    let mut m = Mocks::new();
    connection_exists(&mut m);
    m.numbers
        .expect_insert_numbers()
        .times(1)
        .returning(|_, _| Err(RepoError::NumbersTaken(vec![e164("+12125552123")])));
    let app = m.app();

    let result = app
        .import_numbers(
            &principal(Role::Member),
            connection_id(CONN),
            import(&["+12125552123", "+12125552124"]),
        )
        .await;

    assert_eq!(
        result,
        Err(AppError::NumberTaken(vec![e164("+12125552123")]))
    );
}

#[tokio::test]
async fn imported_numbers_are_voip_numbers_of_the_connection() {
    let mut m = Mocks::new();
    let caller = principal(Role::Member);
    connection_exists(&mut m);
    m.numbers
        .expect_insert_numbers()
        .withf(move |drafts, actor| {
            *actor == Some(caller.actor())
                && drafts.len() == 2
                && drafts.iter().all(|d| {
                    d.org_id() == org(ORG)
                        && d.source() == Source::Voip
                        && d.voip_connection_id() == Some(connection_id(CONN))
                })
                && drafts[0].number().as_str() == "+12125552123"
                && drafts[1].number().as_str() == "+12125552124"
        })
        .times(1)
        .returning(|drafts, _| {
            Ok(drafts
                .into_iter()
                .zip(20..)
                .map(|(d, id): (NewPhoneNumber, i64)| d.into_created(number_id(id)))
                .collect())
        });
    let app = m.app();

    let imported = app
        .import_numbers(
            &caller,
            connection_id(CONN),
            import(&["(212) 555-2123", "212.555.2124"]),
        )
        .await
        .unwrap();

    let ids: Vec<i64> = imported.iter().map(|n| n.id().get()).collect();
    assert_eq!(ids, [20, 21]);
}

#[tokio::test]
async fn credentials_reach_the_store_sealed_and_open_to_the_same_values() {
    use thunderphone_ports::CredentialVault;
    let mut m = Mocks::new();
    let stored = std::sync::Arc::new(std::sync::Mutex::new(None));
    let sink = stored.clone();
    m.connections
        .expect_create_connection()
        .times(1)
        .returning(move |new| {
            *sink.lock().unwrap() = Some(new.credentials.clone());
            Ok(VoipConnection {
                id: connection_id(CONN),
                org_id: new.org_id,
                name: new.name,
                provider: new.provider,
                termination_uri: new.termination_uri,
                created_at: new.created_at,
            })
        });
    let app = m.app();
    let request = sip(Some("sip:pbx.example.com:5060"));
    let plain = request.credentials.clone();
    app.create_connection(&principal(Role::Owner), request)
        .await
        .unwrap();
    let sealed = stored.lock().unwrap().clone().unwrap();
    let bytes = String::from_utf8_lossy(&sealed.ciphertext).into_owned();
    if let thunderphone_domain::VoipCredentials::Sip {
        password: Some(p), ..
    } = &plain
    {
        assert!(
            !bytes.contains(p.expose()),
            "the store never sees the secret"
        );
    }
    assert_eq!(test_vault().open(&sealed).unwrap(), plain);
}

#[tokio::test]
async fn without_a_key_no_credentials_are_stored() {
    let mut m = Mocks::new();
    m.vault_key = false;
    // No create_connection expectation: storing anything fails the test.
    let app = m.app();
    let result = app
        .create_connection(
            &principal(Role::Owner),
            sip(Some("sip:pbx.example.com:5060")),
        )
        .await;
    let Err(AppError::NotConfigured(message)) = result else {
        panic!("expected NotConfigured, got {result:?}")
    };
    assert!(message.contains("THUNDERPHONE_SECRET_KEY"), "{message}");
}

#[tokio::test]
async fn a_termination_uri_of_older_rules_is_not_enough_to_create_a_connection() {
    // No create_connection expectation: storing anything fails the test.
    let app = Mocks::new().app();
    let mut request = sip(None);
    request.termination_uri = Some(SipUri::parse_stored("sip:pbx.example.com;x=<evil>").unwrap());
    let result = app
        .create_connection(&principal(Role::Owner), request)
        .await;
    let Err(AppError::Validation(errors)) = result else {
        panic!("expected Validation, got {result:?}")
    };
    assert_eq!(errors[0].field, "termination_uri");
}
