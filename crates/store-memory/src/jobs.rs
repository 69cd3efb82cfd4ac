//! The activation queue: one job per `provisioning` demo number, created
//! with the number by the pool claim and ended by the change that settles
//! it (or by deleting the number).

use async_trait::async_trait;
use thunderphone_domain::{PhoneNumber, PhoneNumberId, Source, Status, Timestamp};
use thunderphone_ports::{ActivationJob, ActivationQueue, RepoError};

use crate::MemoryStore;
use crate::state::State;

/// Scheduling state of one job.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JobState {
    pub(crate) attempts: u32,
    pub(crate) due: Timestamp,
    pub(crate) lease_until: Option<Timestamp>,
}

impl State {
    /// Starts the job of a newly claimed pool number, due at once.
    pub(crate) fn start_job(&mut self, number: &PhoneNumber) {
        let job = JobState {
            attempts: 0,
            due: number.created_at(),
            lease_until: None,
        };
        self.jobs.insert(number.id(), job);
    }

    /// Ends the job of a number that no longer waits for the provider.
    pub(crate) fn settle_job(&mut self, number: &PhoneNumber, deleted: bool) {
        let pending = number.source() == Source::Demo && number.status() == Status::Provisioning;
        if deleted || !pending {
            self.jobs.remove(&number.id());
        }
    }

    fn lease_due(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Vec<ActivationJob> {
        let mut due: Vec<(Timestamp, PhoneNumberId)> = self
            .jobs
            .iter()
            .filter(|(_, job)| job.due <= now && job.lease_until.is_none_or(|l| l <= now))
            .map(|(id, job)| (job.due, *id))
            .collect();
        due.sort();
        due.truncate(limit);
        let mut leased = Vec::with_capacity(due.len());
        for (_, id) in due {
            let Some(number) = self.live_number(id).map(|s| s.number.number().clone()) else {
                self.jobs.remove(&id);
                continue;
            };
            if let Some(job) = self.jobs.get_mut(&id) {
                job.lease_until = Some(lease_until);
                leased.push(ActivationJob {
                    number_id: id,
                    number,
                    attempts: job.attempts,
                    lease_until,
                });
            }
        }
        leased
    }

    /// Counts for `/metrics`.
    pub(crate) fn stats(&self, now: Timestamp) -> thunderphone_ports::StoreStats {
        let mut by_kind: std::collections::BTreeMap<(&str, &str), (Source, Status, u64)> =
            std::collections::BTreeMap::new();
        let mut held_pool_numbers = 0;
        for stored in self.numbers.values().filter(|s| !s.deleted) {
            let n = &stored.number;
            let entry = by_kind
                .entry((n.source().as_str(), n.status().as_str()))
                .or_insert((n.source(), n.status(), 0));
            entry.2 += 1;
            if n.number().is_demo_pool_shape() {
                held_pool_numbers += 1;
            }
        }
        let (mut due, mut leased, mut waiting) = (0, 0, 0);
        for job in self.jobs.values() {
            if job.lease_until.is_some_and(|l| l > now) {
                leased += 1;
            } else if job.due <= now {
                due += 1;
            } else {
                waiting += 1;
            }
        }
        thunderphone_ports::StoreStats {
            numbers: by_kind.into_values().collect(),
            held_pool_numbers,
            jobs_due: due,
            jobs_leased: leased,
            jobs_waiting: waiting,
            pool: None,
        }
    }

    /// Reschedules the job of `leased` while it still holds that lease.
    fn retry_at(&mut self, leased: &ActivationJob, attempts: u32, due: Timestamp) {
        let held = |job: &&mut JobState| job.lease_until == Some(leased.lease_until);
        if let Some(job) = self.jobs.get_mut(&leased.number_id).filter(held) {
            *job = JobState {
                attempts,
                due,
                lease_until: None,
            };
        }
    }
}

#[async_trait]
impl ActivationQueue for MemoryStore {
    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<ActivationJob>, RepoError> {
        Ok(self.lock().lease_due(now, lease_until, limit))
    }

    async fn retry_at(
        &self,
        job: &ActivationJob,
        attempts: u32,
        due: Timestamp,
        _last_error: &str,
    ) -> Result<(), RepoError> {
        self.lock().retry_at(job, attempts, due);
        Ok(())
    }
}
