use std::sync::Condvar;
use std::time::Duration;

use super::*;

/// A door the test opens; batches that must wait block on it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

/// What a test batcher saw: every batch, in the order they started.
type Seen = Arc<Mutex<Vec<Vec<u32>>>>;

/// A batcher doubling each request; batches holding a request in `held`
/// wait at `gate` before answering.
fn doubler(limits: BatchLimits, held: &'static [u32]) -> (Arc<Batcher<u32, u32>>, Seen, Arc<Gate>) {
    let seen = Seen::default();
    let gate = Arc::new(Gate::default());
    let (log, door) = (Arc::clone(&seen), Arc::clone(&gate));
    let batcher = Batcher::new(limits, move |requests: &[u32]| {
        log.lock().unwrap().push(requests.to_vec());
        if requests.iter().any(|r| held.contains(r)) {
            door.wait();
        }
        Ok(requests.iter().map(|r| Ok(r * 2)).collect())
    });
    (Arc::new(batcher), seen, gate)
}

/// Waits (up to 5 s) until `condition` holds.
async fn until(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..5_000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("timed out waiting until {what}");
}

fn waiting(batcher: &Batcher<u32, u32>) -> usize {
    batcher.waiting()
}

fn spawn_call(
    batcher: &Arc<Batcher<u32, u32>>,
    request: u32,
) -> tokio::task::JoinHandle<Result<u32, RepoError>> {
    let batcher = Arc::clone(batcher);
    tokio::spawn(async move { batcher.call(request).await })
}

const ONE_RUNNER: BatchLimits = BatchLimits {
    max_batch: 100,
    max_runners: 1,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_batcher_answers_a_call_alone() {
    let (batcher, seen, _gate) = doubler(ONE_RUNNER, &[]);
    assert_eq!(batcher.call(21).await, Ok(42));
    assert_eq!(batcher.call(4).await, Ok(8));
    assert_eq!(*seen.lock().unwrap(), vec![vec![21], vec![4]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_during_a_batch_are_answered_together_each_with_its_own_answer() {
    let (batcher, seen, gate) = doubler(ONE_RUNNER, &[0]);
    let first = spawn_call(&batcher, 0);
    until("the first batch runs", || seen.lock().unwrap().len() == 1).await;
    let rest: Vec<_> = (1..=20).map(|r| spawn_call(&batcher, r)).collect();
    until("the rest are queued", || waiting(&batcher) == 20).await;
    gate.open();
    assert_eq!(first.await.unwrap(), Ok(0));
    for (request, call) in (1..=20).zip(rest) {
        assert_eq!(call.await.unwrap(), Ok(request * 2));
    }
    let batches = seen.lock().unwrap().clone();
    assert_eq!(batches.len(), 2, "{batches:?}");
    let mut second = batches[1].clone();
    second.sort_unstable();
    assert_eq!(second, (1..=20).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_holds_at_most_max_batch_requests() {
    let limits = BatchLimits {
        max_batch: 5,
        max_runners: 1,
    };
    let (batcher, seen, gate) = doubler(limits, &[0]);
    let first = spawn_call(&batcher, 0);
    until("the first batch runs", || seen.lock().unwrap().len() == 1).await;
    let rest: Vec<_> = (1..=12).map(|r| spawn_call(&batcher, r)).collect();
    until("the rest are queued", || waiting(&batcher) == 12).await;
    gate.open();
    first.await.unwrap().unwrap();
    for call in rest {
        call.await.unwrap().unwrap();
    }
    let sizes: Vec<usize> = seen.lock().unwrap().iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![1, 5, 5, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_than_max_runners_batches_run_at_once() {
    let limits = BatchLimits {
        max_batch: 100,
        max_runners: 2,
    };
    let (batcher, seen, gate) = doubler(limits, &[0, 1, 2, 3, 4]);
    let first = spawn_call(&batcher, 0);
    until("the first batch runs", || seen.lock().unwrap().len() == 1).await;
    let second = spawn_call(&batcher, 1);
    until("the second batch runs", || seen.lock().unwrap().len() == 2).await;
    let rest: Vec<_> = (2..=4).map(|r| spawn_call(&batcher, r)).collect();
    until("the rest are queued", || waiting(&batcher) == 3).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(seen.lock().unwrap().len(), 2, "a third batch started");
    gate.open();
    for call in [first, second].into_iter().chain(rest) {
        call.await.unwrap().unwrap();
    }
    assert_eq!(seen.lock().unwrap().len(), 3);
    // A runner stops once it finds the queue empty, just after answering.
    until("every runner stops", || batcher.shared.lock().runners == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_gives_every_caller_the_error() {
    let down = RepoError::Unavailable("database down".into());
    let error = down.clone();
    let batcher = Arc::new(Batcher::new(ONE_RUNNER, move |_: &[u32]| {
        std::thread::sleep(Duration::from_millis(5));
        Err::<Vec<Result<u32, RepoError>>, _>(error.clone())
    }));
    let calls: Vec<_> = (0..10).map(|r| spawn_call(&batcher, r)).collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), Err(down.clone()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_gets_its_own_error_or_answer() {
    let batcher = Batcher::new(ONE_RUNNER, |requests: &[u32]| {
        Ok(requests
            .iter()
            .map(|&r| {
                if r % 2 == 0 {
                    Ok(r)
                } else {
                    Err(RepoError::NotFound)
                }
            })
            .collect())
    });
    assert_eq!(batcher.call(2).await, Ok(2));
    assert_eq!(batcher.call(3).await, Err(RepoError::NotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_batch_fails_its_callers_and_the_batcher_goes_on() {
    let batcher = Batcher::new(ONE_RUNNER, |requests: &[u32]| {
        assert!(!requests.contains(&13), "unlucky request");
        Ok(requests.iter().map(|r| Ok(r + 1)).collect())
    });
    let failed = batcher.call(13).await;
    assert!(
        matches!(&failed, Err(RepoError::Unexpected(m)) if m.to_string().contains("panicked")),
        "{failed:?}"
    );
    assert_eq!(batcher.call(1).await, Ok(2));
    until("the runner stops", || batcher.shared.lock().runners == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_answered_with_the_wrong_count_fails_every_caller() {
    let batcher: Batcher<u32, u32> = Batcher::new(ONE_RUNNER, |_: &[u32]| Ok(Vec::new()));
    let answer = batcher.call(1).await;
    assert!(
        matches!(&answer, Err(RepoError::Unexpected(m)) if m.to_string().contains("got 0 answers")),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_gave_up_is_left_out_of_the_next_batch() {
    let (batcher, seen, gate) = doubler(ONE_RUNNER, &[0]);
    let first = spawn_call(&batcher, 0);
    until("the first batch runs", || seen.lock().unwrap().len() == 1).await;
    let abandoned = spawn_call(&batcher, 1);
    until("the call is queued", || waiting(&batcher) == 1).await;
    abandoned.abort();
    assert!(abandoned.await.unwrap_err().is_cancelled());
    let kept = spawn_call(&batcher, 2);
    until("the next call is queued", || waiting(&batcher) == 2).await;
    gate.open();
    assert_eq!(first.await.unwrap(), Ok(0));
    assert_eq!(kept.await.unwrap(), Ok(4));
    assert_eq!(*seen.lock().unwrap(), vec![vec![0], vec![2]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_dropped_unrun_fails_the_calls_nobody_else_will_answer() {
    let (batcher, seen, _gate) = doubler(ONE_RUNNER, &[]);
    let (answer, runner) = batcher.enqueue(7);
    drop(runner.expect("a free runner's place"));
    let answer = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .expect("the call must fail, not wait")
        .unwrap();
    assert!(
        matches!(&answer, Err(RepoError::Unavailable(_))),
        "{answer:?}"
    );
    assert_eq!(batcher.shared.lock().runners, 0);
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(batcher.call(1).await, Ok(2), "the place was given back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_dropped_unrun_leaves_the_calls_to_a_running_one() {
    let limits = BatchLimits {
        max_batch: 100,
        max_runners: 2,
    };
    let (batcher, seen, gate) = doubler(limits, &[0]);
    let first = spawn_call(&batcher, 0);
    until("the first batch runs", || seen.lock().unwrap().len() == 1).await;
    let (five, runner) = batcher.enqueue(5);
    let (six, none) = batcher.enqueue(6);
    assert!(none.is_none(), "both places are taken");
    drop(runner.expect("the second place"));
    gate.open();
    assert_eq!(first.await.unwrap(), Ok(0));
    assert_eq!(five.await.unwrap(), Ok(10));
    assert_eq!(six.await.unwrap(), Ok(12));
}

/// A runtime that is shutting down drops a blocking task instead of
/// starting it: the call that wanted that runner fails instead of
/// waiting forever.
#[test]
fn a_runner_that_cannot_start_fails_the_calls_waiting_for_it() {
    let (batcher, seen, _gate) = doubler(ONE_RUNNER, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    runtime.shutdown_background();
    let (sender, answers) = std::sync::mpsc::channel();
    let caller = Arc::clone(&batcher);
    std::thread::spawn(move || {
        let _entered = handle.enter();
        let _ = sender.send(futures::executor::block_on(caller.call(1)));
    });
    let answer = answers
        .recv_timeout(Duration::from_secs(5))
        .expect("the call must not wait forever");
    assert!(
        matches!(answer, Err(RepoError::Unavailable(_))),
        "{answer:?}"
    );
    assert_eq!(batcher.shared.lock().runners, 0);
    assert!(seen.lock().unwrap().is_empty());
}
