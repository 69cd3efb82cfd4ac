//! The operations: what a client, the provider or the verifier may ask
//! for, as proptest strategies, and how each is applied.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use thunderphone_domain::{
    Actor, AgentId, AgentUpdate, ApiKeyId, E164, NewPhoneNumber, OrgId, PhoneNumber, PhoneNumberId,
    Source, Status, Timestamp, TransitionError, Updated, UserId, Verification, VoipConnectionId,
};

/// The org that holds the number at the start.
pub(crate) const HOME_ORG: i64 = 1;

/// One operation a client, the provider or the verifier may ask for.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Activate,
    FailProvisioning(String),
    Update {
        inbound: Option<Option<i64>>,
        outbound: Option<Option<i64>>,
        status: Option<Status>,
    },
    Transfer {
        org: i64,
        connection: Option<i64>,
    },
    Verify {
        passed: bool,
        reason: String,
    },
    DetachConnection,
    CheckVerifiable,
}

/// An operation and how far the clock moved before it (it may go back a
/// little: clocks of different hosts disagree).
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) op: Op,
    pub(crate) clock_delta_secs: i64,
}

pub(crate) fn agent_field() -> impl Strategy<Value = Option<Option<i64>>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(None)),
        3 => (1..=4i64).prop_map(|a| Some(Some(a))),
    ]
}

pub(crate) fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Activate),
        1 => "[a-z ]{0,12}".prop_map(Op::FailProvisioning),
        6 => (agent_field(), agent_field(), prop::option::of(status()))
            .prop_map(|(inbound, outbound, status)| Op::Update { inbound, outbound, status }),
        3 => (1..=3i64, prop::option::of(1..=3i64))
            .prop_map(|(org, connection)| Op::Transfer { org, connection }),
        4 => (any::<bool>(), "[a-z ]{0,12}").prop_map(|(passed, reason)| Op::Verify { passed, reason }),
        1 => Just(Op::DetachConnection),
        1 => Just(Op::CheckVerifiable),
    ]
}

pub(crate) fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (op(), -30..=120i64).prop_map(|(op, clock_delta_secs)| Step {
            op,
            clock_delta_secs,
        }),
        1..40,
    )
}

pub(crate) fn start_time() -> Timestamp {
    Utc.timestamp_opt(1_800_000_000, 0).single().unwrap()
}

pub(crate) fn new_number(source: Source) -> PhoneNumber {
    let org = OrgId::new(HOME_ORG).unwrap();
    let number = E164::parse("+14155550123").unwrap();
    let new = match source {
        Source::Demo => NewPhoneNumber::demo(org, number, start_time()),
        Source::Voip => {
            NewPhoneNumber::voip(org, number, VoipConnectionId::new(1).unwrap(), start_time())
        }
    };
    new.into_created(PhoneNumberId::new(7).unwrap())
}

pub(crate) fn actor() -> Actor {
    Actor {
        user_id: UserId::new(4).unwrap(),
        api_key_id: ApiKeyId::new(9).unwrap(),
    }
}

/// What an operation did to the number.
pub(crate) enum Outcome {
    Changed(Updated),
    Unchanged,
    Refused(TransitionError),
}

pub(crate) fn apply(number: &PhoneNumber, op: &Op, now: Timestamp) -> Outcome {
    let changed = |r: Result<Updated, TransitionError>| match r {
        Ok(u) => Outcome::Changed(u),
        Err(e) => Outcome::Refused(e),
    };
    match op {
        Op::Activate => changed(number.activate(now)),
        Op::FailProvisioning(reason) => changed(number.fail_provisioning(reason.clone(), now)),
        Op::Update {
            inbound,
            outbound,
            status,
        } => {
            let agents = AgentUpdate {
                inbound: inbound.map(|a| a.map(|a| AgentId::new(a).unwrap())),
                outbound: outbound.map(|a| a.map(|a| AgentId::new(a).unwrap())),
            };
            match number.update(agents, *status, now) {
                Ok(Some(u)) => Outcome::Changed(u),
                Ok(None) => Outcome::Unchanged,
                Err(e) => Outcome::Refused(e),
            }
        }
        Op::Transfer { org, connection } => changed(number.transfer(
            OrgId::new(*org).unwrap(),
            connection.map(|c| VoipConnectionId::new(c).unwrap()),
            now,
        )),
        Op::Verify { passed, reason } => {
            let outcome = if *passed {
                Verification::Passed
            } else {
                Verification::Failed {
                    reason: reason.clone(),
                }
            };
            changed(number.record_verification(outcome, now))
        }
        Op::DetachConnection => match number.detach_connection(now) {
            Some(u) => Outcome::Changed(u),
            None => Outcome::Unchanged,
        },
        Op::CheckVerifiable => match number.check_verifiable() {
            Ok(connection) => {
                assert_eq!(Some(connection), number.voip_connection_id());
                Outcome::Unchanged
            }
            Err(e) => Outcome::Refused(e),
        },
    }
}
