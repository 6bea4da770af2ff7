//! Password hashing within bounds. Each argon2id hash takes 19 MiB and a core for a few tens of
//! milliseconds; fifty bad sign-ins at once would hold a gigabyte. So at most one runs per core,
//! a bounded number wait their turn (each no longer than a deadline), and the rest are told the
//! server is busy (503, Retry-After) rather than queued without end.
//!
//! The hashes run on threads of their own, one per core, never on the runtime's pool of
//! blocking threads: the allocator keeps a freed 19 MiB block in the arena of the thread that
//! used it, so hashes spread over that pool's many threads would keep that much per thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// How many may wait per hash running (a turn comes within about a second).
const WAITING_PER_RUNNING: usize = 16;
/// The longest a hash waits for its turn.
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// A hash or verification, with where its answer goes.
type Job = Box<dyn FnOnce() + Send>;

/// The server's argon2 work: hashes and verifications go through [`PasswordWork::run`].
#[derive(Clone)]
pub struct PasswordWork {
    running: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

impl std::fmt::Debug for PasswordWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordWork")
            .field("waiting", &self.waiting)
            .field("max_waiting", &self.max_waiting)
            .finish()
    }
}

impl PasswordWork {
    /// Room for `parallel` hashes at once, on as many threads of their own.
    pub fn new(parallel: usize) -> Self {
        let parallel = parallel.max(1);
        // A turn is taken before a job is sent, so the channel never holds more than the
        // threads can start at once.
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(parallel);
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..parallel {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panic in one hash must not take the thread with it.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        // Every sender is gone: the server is shutting down.
                        Err(_) => return,
                    }
                }
            });
            if let Err(err) = spawned {
                tracing::error!("cannot start a password-hashing thread: {err}");
            }
        }
        Self {
            running: Arc::new(Semaphore::new(parallel)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting: parallel * WAITING_PER_RUNNING,
            jobs,
        }
    }

    /// One hash per core of this machine.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
    }

    /// Runs `work` (an argon2 hash or verification) on a blocking thread when its turn comes;
    /// 503 when too many are waiting already or the turn does not come in time.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let busy = || AppError::Busy("the server is busy checking passwords; try again in a moment".into());
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            crate::metrics::password_work_refused();
            return Err(busy());
        }
        let turn = tokio::time::timeout(LONGEST_WAIT, self.running.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let Ok(Ok(turn)) = turn else {
            crate::metrics::password_work_refused();
            return Err(busy());
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _turn = turn;
            let _ = answer.send(work());
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the password-hashing threads are gone")))?;
        answered
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("a password hash was dropped unfinished")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_queue_work_is_refused_not_queued() {
        let work = PasswordWork::new(1);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        let mut running = Vec::new();
        // One running (blocked until released) and the rest waiting fill it.
        let full = 1 + WAITING_PER_RUNNING;
        for _ in 0..full {
            let work = work.clone();
            let wait = wait.clone();
            running.push(tokio::spawn(async move {
                work.run(move || {
                    let _ = wait.lock().map(|w| w.recv());
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let refused = work.run(|| ()).await;
        assert!(matches!(refused, Err(AppError::Busy(_))), "{refused:?}");
        for _ in 0..full {
            release.send(()).unwrap();
        }
        for task in running {
            assert!(task.await.unwrap().is_ok());
        }
        assert!(work.run(|| ()).await.is_ok(), "room again once they are done");
    }
}
