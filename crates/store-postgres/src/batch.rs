//! Coalescing concurrent calls of one kind into one database statement.
//!
//! A call joins a queue. While fewer than `max_runners` runners are busy,
//! one is started on tokio's blocking pool; a runner takes everything
//! waiting (up to `max_batch`), answers it with one statement, and goes
//! on until the queue is empty. So an idle store answers a call alone, at
//! once, and a busy one answers the calls that arrived during the last
//! statement together: no timer, no added wait, and one round trip and
//! one blocking hand-off per batch instead of per call.
//!
//! Every call still sees its own answer from a statement that started
//! after the call was made, so batching never returns an older state
//! than answering the call alone would.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use thunderphone_ports::RepoError;
use tokio::sync::oneshot;

/// The answers to one batch, one per request and in order, or one error
/// for all of them.
pub(crate) type BatchAnswers<Resp> = Result<Vec<Result<Resp, RepoError>>, RepoError>;

/// Where a queued call's answer arrives.
type Answer<Resp> = oneshot::Receiver<Result<Resp, RepoError>>;

/// Answers a batch of requests; runs on a blocking thread.
type RunBatch<Req, Resp> = dyn Fn(&[Req]) -> BatchAnswers<Resp> + Send + Sync;

/// How far a [`Batcher`] coalesces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    /// Most requests answered by one statement (at least 1).
    pub(crate) max_batch: usize,
    /// Most batches running at once (at least 1): each holds a pooled
    /// connection while it runs.
    pub(crate) max_runners: usize,
}

/// Queues calls and answers them in batches; see the module docs.
pub(crate) struct Batcher<Req, Resp> {
    shared: Arc<Shared<Req, Resp>>,
}

struct Shared<Req, Resp> {
    queue: Mutex<Queue<Req, Resp>>,
    run: Box<RunBatch<Req, Resp>>,
    limits: BatchLimits,
    /// Batches run so far.
    batches: AtomicU64,
}

struct Queue<Req, Resp> {
    waiting: VecDeque<Waiting<Req, Resp>>,
    /// Runners started and not yet finished.
    runners: usize,
}

struct Waiting<Req, Resp> {
    request: Req,
    reply: oneshot::Sender<Result<Resp, RepoError>>,
}

impl<Req, Resp> Batcher<Req, Resp>
where
    Req: Send + 'static,
    Resp: Send + 'static,
{
    /// A batcher answering with `run`, which must return one answer per
    /// request, in the order given.
    pub(crate) fn new(
        limits: BatchLimits,
        run: impl Fn(&[Req]) -> BatchAnswers<Resp> + Send + Sync + 'static,
    ) -> Self {
        let limits = BatchLimits {
            max_batch: limits.max_batch.max(1),
            max_runners: limits.max_runners.max(1),
        };
        Self {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    waiting: VecDeque::new(),
                    runners: 0,
                }),
                run: Box::new(run),
                limits,
                batches: AtomicU64::new(0),
            }),
        }
    }

    /// Answers `request`, alone or with the others waiting at the time.
    /// A caller that stops waiting is dropped from the queue unanswered.
    pub(crate) async fn call(&self, request: Req) -> Result<Resp, RepoError> {
        let (answer, runner) = self.enqueue(request);
        if let Some(runner) = runner {
            // Not joined: the runner reports through each call's reply.
            drop(tokio::task::spawn_blocking(move || runner.run()));
        }
        answer.await.unwrap_or_else(|_| {
            Err(RepoError::unexpected(
                "a batched store call ended without an answer",
            ))
        })
    }
}

impl<Req, Resp> Batcher<Req, Resp> {
    /// Queues `request`, and takes a runner's place if one is free: the
    /// caller must then run the [`Runner`] (or drop it).
    fn enqueue(&self, request: Req) -> (Answer<Resp>, Option<Runner<Req, Resp>>) {
        let (reply, answer) = oneshot::channel();
        let mut queue = self.shared.lock();
        queue.waiting.push_back(Waiting { request, reply });
        let runner = (queue.runners < self.shared.limits.max_runners).then(|| {
            queue.runners += 1;
            Runner {
                shared: Arc::clone(&self.shared),
                drained: false,
            }
        });
        (answer, runner)
    }

    /// Batches run so far.
    #[cfg(test)]
    pub(crate) fn batches(&self) -> u64 {
        self.shared.batches.load(Ordering::Relaxed)
    }

    /// Calls waiting for a runner.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.shared.lock().waiting.len()
    }
}

/// A runner's place, taken by [`Batcher::enqueue`]. Dropped without
/// running (tokio drops a blocking task it is asked to start while its
/// runtime shuts down), it gives the place back, and if no other runner
/// is left it fails the waiting calls instead of leaving them to wait
/// forever.
struct Runner<Req, Resp> {
    shared: Arc<Shared<Req, Resp>>,
    /// Set once [`Shared::drain`] has given the place back itself.
    drained: bool,
}

impl<Req, Resp> Runner<Req, Resp> {
    fn run(mut self) {
        self.shared.drain();
        self.drained = true;
    }
}

impl<Req, Resp> Drop for Runner<Req, Resp> {
    fn drop(&mut self) {
        if self.drained {
            return;
        }
        let orphans: Vec<_> = {
            let mut queue = self.shared.lock();
            queue.runners -= 1;
            if queue.runners == 0 {
                queue
                    .waiting
                    .drain(..)
                    .map(|waiting| waiting.reply)
                    .collect()
            } else {
                Vec::new()
            }
        };
        let error = RepoError::Unavailable("the store could not start a database call".into());
        fan_out(orphans, &error);
    }
}

impl<Req, Resp> Shared<Req, Resp> {
    fn lock(&self) -> MutexGuard<'_, Queue<Req, Resp>> {
        // The queue is consistent between statements, even after a panic.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers batches until nothing is waiting, then gives the runner's
    /// place back (under the same lock that found the queue empty, so a
    /// call queued after that starts a runner of its own).
    fn drain(&self) {
        loop {
            let batch: Vec<_> = {
                let mut queue = self.lock();
                queue.waiting.retain(|waiting| !waiting.reply.is_closed());
                if queue.waiting.is_empty() {
                    queue.runners -= 1;
                    return;
                }
                let size = queue.waiting.len().min(self.limits.max_batch);
                queue.waiting.drain(..size).collect()
            };
            self.answer(batch);
        }
    }

    /// Runs one batch and sends each caller its answer.
    fn answer(&self, batch: Vec<Waiting<Req, Resp>>) {
        let (requests, replies): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|waiting| (waiting.request, waiting.reply))
            .unzip();
        self.batches.fetch_add(1, Ordering::Relaxed);
        let answers = catch_unwind(AssertUnwindSafe(|| (self.run)(&requests)))
            .unwrap_or_else(|_| Err(RepoError::unexpected("a batched store call panicked")));
        match answers {
            Ok(answers) if answers.len() == replies.len() => {
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // A caller that has gone does not need its answer.
                    let _ = reply.send(answer);
                }
            }
            Ok(answers) => {
                let error = RepoError::unexpected(format!(
                    "a batch of {} store calls got {} answers",
                    replies.len(),
                    answers.len()
                ));
                fan_out(replies, &error);
            }
            Err(error) => fan_out(replies, &error),
        }
    }
}

/// Sends `error` to every caller of a failed batch.
fn fan_out<Resp>(replies: Vec<oneshot::Sender<Result<Resp, RepoError>>>, error: &RepoError) {
    for reply in replies {
        let _ = reply.send(Err(error.clone()));
    }
}

impl<Req, Resp> fmt::Debug for Batcher<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let queue = self.shared.lock();
        f.debug_struct("Batcher")
            .field("limits", &self.shared.limits)
            .field("waiting", &queue.waiting.len())
            .field("runners", &queue.runners)
            .field("batches", &self.shared.batches.load(Ordering::Relaxed))
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
