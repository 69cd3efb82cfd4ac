//! Waking delivery workers at commit. Every write that inserts deliveries
//! sends `NOTIFY thunderphone_deliveries` (the fan-out trigger, a manual
//! retry, a test event); PostgreSQL delivers it at commit to every session
//! listening, in any instance. One dedicated connection per store listens
//! (`tokio-postgres`: Diesel cannot receive notifications) and wakes the
//! waiters of [`DeliverySignal::wait`]. Losing it costs latency only: the
//! workers poll with their timeout meanwhile, and it reconnects.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio_postgres::{AsyncMessage, Config, NoTls};

use super::deliveries::CHANNEL;

/// First pause before reconnecting; doubled per failure up to
/// [`MAX_PAUSE`].
const MIN_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// After a notification, the waiters are woken once more this much later:
/// a transaction that committed deliveries alongside the notifying one
/// skipped its own notification (see the `events_fan_out` trigger), and
/// may have committed just after the workers looked.
const TRAILING_WAKE: Duration = Duration::from_millis(100);

/// The store's wake-up signal for delivery workers.
pub(crate) struct DeliverySignal {
    wake: Arc<Notify>,
    /// Where to listen; `None` when the URL is not one the listener
    /// understands (then workers only poll).
    config: Option<Config>,
    /// The listening task, started by the first wait.
    listener: OnceLock<AbortHandle>,
}

impl DeliverySignal {
    /// A signal listening on the database at `url` once first waited on.
    pub(crate) fn new(url: &str) -> Self {
        let config = match url.parse::<Config>() {
            Ok(mut config) => {
                config
                    .application_name("thunderphone-deliveries")
                    .connect_timeout(Duration::from_secs(5))
                    .keepalives_idle(Duration::from_secs(30))
                    .keepalives_interval(Duration::from_secs(10))
                    .keepalives_retries(3);
                Some(config)
            }
            Err(_) => {
                // The error may quote the URL, password included: not logged.
                tracing::warn!(
                    "the database URL is not understood by the notification listener; \
                     webhook deliveries are found by polling only"
                );
                None
            }
        };
        Self {
            wake: Arc::new(Notify::new()),
            config,
            listener: OnceLock::new(),
        }
    }

    /// Wakes this process's waiters (when the listener may be down).
    pub(crate) fn wake(&self) {
        wake_all(&self.wake);
    }

    /// Waits for a notification or `timeout`, whichever comes first.
    pub(crate) async fn wait(&self, timeout: Duration) {
        self.start();
        let _ = tokio::time::timeout(timeout, self.wake.notified()).await;
    }

    fn start(&self) {
        let Some(config) = &self.config else {
            return;
        };
        self.listener.get_or_init(|| {
            tokio::spawn(listen(config.clone(), Arc::clone(&self.wake))).abort_handle()
        });
    }
}

impl Drop for DeliverySignal {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.get() {
            listener.abort();
        }
    }
}

/// Wakes every current waiter, and the next one to come if there is none
/// now (a worker busy sending when the notification arrived looks again
/// at once instead of after its timeout).
fn wake_all(wake: &Notify) {
    wake.notify_waiters();
    wake.notify_one();
}

/// Listens for ever, reconnecting after a pause that grows while
/// connecting fails.
async fn listen(config: Config, wake: Arc<Notify>) {
    let mut pause = MIN_PAUSE;
    loop {
        match session(&config, &wake, &mut pause).await {
            Ok(()) => tracing::info!("the delivery notification connection closed; reconnecting"),
            Err(error) => tracing::warn!(
                %error,
                "cannot listen for webhook deliveries; polling until it can"
            ),
        }
        // Notifications sent meanwhile are lost: let the workers look.
        wake_all(&wake);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// One connection: `LISTEN`, then a wake per notification (and a
/// trailing one, see [`TRAILING_WAKE`]) until the connection ends.
async fn session(
    config: &Config,
    wake: &Notify,
    pause: &mut Duration,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let statement = format!("LISTEN {CHANNEL}");
    let listen = client.batch_execute(&statement);
    tokio::pin!(listen);
    let mut listening = false;
    let trailing = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(trailing);
    let mut trailing_armed = false;
    loop {
        tokio::select! {
            () = &mut trailing, if trailing_armed => {
                trailing_armed = false;
                wake_all(wake);
            }
            done = &mut listen, if !listening => {
                done?;
                listening = true;
                *pause = MIN_PAUSE;
                tracing::debug!("listening for webhook deliveries");
                // Commits before the LISTEN were not heard.
                wake_all(wake);
            }
            message = futures::future::poll_fn(|cx| connection.poll_message(cx)) => {
                match message {
                    Some(Ok(AsyncMessage::Notification(_))) => {
                        wake_all(wake);
                        if !trailing_armed {
                            trailing
                                .as_mut()
                                .reset(tokio::time::Instant::now() + TRAILING_WAKE);
                            trailing_armed = true;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return Err(error),
                    None => return Ok(()),
                }
            }
        }
    }
}
