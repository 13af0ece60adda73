//! A sender whose task runs only while someone receives: the first
//! receiver starts it, and it stops once the last receiver is gone. The
//! shared listener and the log feed are both such senders.

use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{broadcast, watch};

/// A sender that can say how many receivers it has.
pub(crate) trait Receivers {
    fn receivers(&self) -> usize;
}

impl<T> Receivers for watch::Sender<T> {
    fn receivers(&self) -> usize {
        self.receiver_count()
    }
}

impl<T> Receivers for broadcast::Sender<T> {
    fn receivers(&self) -> usize {
        self.receiver_count()
    }
}

/// The running sender, if any.
#[derive(Debug)]
pub(crate) struct OnDemand<S> {
    /// Dangling when no task runs.
    current: Mutex<Weak<S>>,
}

impl<S> Default for OnDemand<S> {
    fn default() -> Self {
        Self {
            current: Mutex::new(Weak::new()),
        }
    }
}

impl<S: Receivers> OnDemand<S> {
    /// A receiver of the running sender (`subscribe`); when none runs,
    /// `start` makes a sender and its first receiver, and `run` is given the
    /// sender to spawn its task with.
    pub(crate) fn receiver<R>(
        &self,
        subscribe: impl FnOnce(&S) -> R,
        start: impl FnOnce() -> (S, R),
        run: impl FnOnce(Arc<S>),
    ) -> R {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = current.upgrade() {
            return subscribe(&sender);
        }
        let (sender, receiver) = start();
        let sender = Arc::new(sender);
        *current = Arc::downgrade(&sender);
        run(sender);
        receiver
    }

    /// Whether the task of `sender` may stop: nobody receives. Decided
    /// under the lock [`OnDemand::receiver`] takes, so that no receiver is
    /// handed a sender whose task has just stopped.
    pub(crate) fn retire_if_unused(&self, sender: &S) -> bool {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if sender.receivers() > 0 {
            return false;
        }
        *current = Weak::new();
        true
    }
}
