//! The details of the SIP checks: what each outcome tells the customer
//! to fix.

use std::net::SocketAddr;
use std::time::Duration;

use thunderphone_ports::{CheckOutcome, OutboundError};

use super::SipVerifier;
use super::message::Response;
use super::transport::Failure;
use super::uri::Target;
use crate::router::{CREDENTIALS, OUTBOUND, not_checked};

/// "3 s", "2.5 s".
pub(super) fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

impl SipVerifier {
    /// The one address OPTIONS go to, checked by the outbound gate; or
    /// the outcomes of a trunk that is not called. A refused address sends
    /// nothing (API.md §15).
    pub(super) async fn resolve(&self, target: &Target) -> Result<SocketAddr, Vec<CheckOutcome>> {
        let resolved = self.gate.resolve(&target.host, target.port).await;
        let error = match resolved.map(|addrs| addrs.first().copied()) {
            Ok(Some(remote)) => return Ok(remote),
            Ok(None) => OutboundError::NoAddress {
                host: target.host.clone(),
            },
            Err(error) => error,
        };
        let detail = match &error {
            OutboundError::Refused { .. } => {
                return Err(vec![
                    not_checked(CREDENTIALS, "the trunk was not called"),
                    CheckOutcome::failed(
                        OUTBOUND,
                        format!(
                            "termination host {error}; the termination URI must name the trunk's public address"
                        ),
                    ),
                ]);
            }
            OutboundError::TimedOut { .. } => {
                format!("{error}; check the termination URI and DNS")
            }
            _ => format!("{error}; check the termination URI"),
        };
        Err(vec![
            not_checked(CREDENTIALS, "the trunk could not be reached"),
            CheckOutcome::failed(OUTBOUND, detail),
        ])
    }

    pub(super) fn answered(&self, target: &Target, response: &Response) -> CheckOutcome {
        CheckOutcome::passed(
            OUTBOUND,
            format!(
                "trunk answered SIP OPTIONS to {} with {}",
                target.shown(),
                response.status_line()
            ),
        )
    }

    /// How details name the address customers must allow.
    pub(super) fn our_address(&self) -> String {
        match &self.config.public_address {
            Some(address) => format!("our address ({address})"),
            None => "ThunderPhone's signalling address".to_owned(),
        }
    }

    pub(super) fn refused(&self, target: &Target, response: &Response) -> CheckOutcome {
        let uri = target.shown();
        let status = response.status_line();
        let detail = if response.code == 403 {
            let ours = self.our_address();
            format!(
                "trunk refused SIP OPTIONS to {uri} with {status}: add {ours} to your SIP allowlist (IP access control list)"
            )
        } else {
            format!(
                "trunk answered SIP OPTIONS to {uri} with {status}; check the termination URI and that the trunk accepts requests from ThunderPhone"
            )
        };
        CheckOutcome::failed(OUTBOUND, detail)
    }

    /// Names the URI without its user part and quotes nothing the peer
    /// sent: [`Failure`] errors say what was wrong, not what arrived.
    pub(super) fn failure_detail(&self, target: &Target, failure: &Failure) -> String {
        let uri = target.shown();
        let after = seconds(self.config.options_timeout);
        match failure {
            Failure::TimedOut {
                refused,
                unreadable,
            } => {
                let mut detail =
                    format!("trunk unreachable: SIP OPTIONS to {uri} timed out after {after}");
                if *refused {
                    detail.push_str(&format!(
                        " (the host answered 'port unreachable': nothing listens on UDP port {})",
                        target.port
                    ));
                } else if let Some(e) = unreadable {
                    detail.push_str(&format!(
                        " (the only answer was not a valid SIP response: {e})"
                    ));
                }
                detail.push_str("; check the host, port and firewall");
                detail
            }
            Failure::Connect(e) => format!(
                "trunk unreachable: could not open a TCP connection to {}:{} for SIP OPTIONS ({e}); check the host, port and firewall",
                target.host, target.port
            ),
            Failure::Malformed(e) => format!(
                "trunk sent an answer to SIP OPTIONS to {uri} that is not a valid SIP response: {e}"
            ),
            Failure::Closed => {
                format!("trunk closed the TCP connection without answering SIP OPTIONS to {uri}")
            }
            Failure::Io(e) => format!("could not send SIP OPTIONS to {uri}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_naturally() {
        assert_eq!(seconds(Duration::from_secs(3)), "3 s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(seconds(Duration::from_millis(300)), "0.3 s");
    }
}
