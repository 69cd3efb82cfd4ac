//! A name server on 127.0.0.1 under the test's control: it answers A and
//! AAAA queries from a table (NXDOMAIN for names not in it), or never
//! answers at all, and counts the queries it receives.
#![allow(dead_code)] // each test binary uses part of it

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_proto::op::{Message, OpCode, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType};
use thunderphone_outbound::{AllowList, DnsGate, GateConfig, NameServers};
use tokio::net::UdpSocket;

pub struct FakeDns {
    pub addr: SocketAddr,
    queries: Arc<AtomicUsize>,
}

impl FakeDns {
    /// Answers `zone` (name → addresses).
    pub async fn answering(zone: &[(&str, &[&str])]) -> Self {
        let zone: HashMap<String, Vec<IpAddr>> = zone
            .iter()
            .map(|(name, ips)| {
                let ips = ips.iter().map(|ip| ip.parse().unwrap()).collect();
                (name.to_string(), ips)
            })
            .collect();
        Self::start(Some(zone)).await
    }

    /// Reads every query and answers none.
    pub async fn silent() -> Self {
        Self::start(None).await
    }

    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    /// A gate asking only this server, with `allow` and a 2 s bound.
    pub fn gate(&self, allow: &str) -> DnsGate {
        DnsGate::new(GateConfig {
            allow: allow.parse::<AllowList>().unwrap(),
            name_servers: NameServers::List(vec![self.addr]),
            lookup_timeout: Duration::from_secs(2),
        })
    }

    async fn start(zone: Option<HashMap<String, Vec<IpAddr>>>) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let counted = queries.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let Some(zone) = &zone else { continue };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let answer = answer(zone, &query);
                let _ = socket.send_to(&answer.to_vec().unwrap(), from).await;
            }
        });
        Self { addr, queries }
    }
}

fn answer(zone: &HashMap<String, Vec<IpAddr>>, query: &Message) -> Message {
    let mut response = Message::response(query.metadata.id, OpCode::Query);
    response.metadata.recursion_desired = query.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    for q in &query.queries {
        response.add_query(q.clone());
        let name = q
            .name()
            .to_string()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let Some(ips) = zone.get(&name) else {
            response.metadata.response_code = ResponseCode::NXDomain;
            continue;
        };
        for ip in ips {
            let wanted = match ip {
                IpAddr::V4(_) => RecordType::A,
                IpAddr::V6(_) => RecordType::AAAA,
            };
            if q.query_type() == wanted {
                response.add_answer(Record::from_rdata(q.name().clone(), 60, RData::from(*ip)));
            }
        }
    }
    response
}
