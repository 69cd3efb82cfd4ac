//! `App::update_number` (PUT/PATCH): If-Match and optimistic retries
//! (`writes.rs`), agent checks and the status state machine (`checks.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod checks;
mod writes;

use common::*;
use thunderphone_app::NumberUpdate;
use thunderphone_domain::{Agent, AgentUpdate, PhoneNumber, Status};

const ID: i64 = 7;

fn active_v3() -> PhoneNumber {
    demo_number(ID, Status::Active, 3)
}

/// The store holds `number` for every scoped read by the caller's org.
fn stored(m: &mut Mocks, number: PhoneNumber) {
    m.numbers
        .expect_find_number()
        .withf(|o, id| *o == org(ORG) && *id == number_id(ID))
        .returning(move |_, _| Ok(Some(number.clone())));
}

/// Agent `id` exists in the caller's org.
fn agent_exists(m: &mut Mocks, id: i64) {
    m.agents
        .expect_find_agent()
        .withf(move |o, a| *o == org(ORG) && *a == agent_id(id))
        .returning(move |o, a| {
            Ok(Some(Agent {
                id: a,
                org_id: o,
                name: name("Front desk"),
                created_at: earlier(10),
            }))
        });
}

fn status_only(status: Status) -> NumberUpdate {
    NumberUpdate {
        agents: AgentUpdate::default(),
        status: Some(status),
    }
}

fn assign_inbound(agent: i64) -> NumberUpdate {
    NumberUpdate {
        agents: AgentUpdate {
            inbound: Some(Some(agent_id(agent))),
            outbound: None,
        },
        status: None,
    }
}
