//! Reading the log once for every shadow: a reader ahead of the writers,
//! each projection's writer at its own pace.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dropledger_eventstore::EventStore;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::write::{joined, write_shadow, Worker};
use super::{RebuildPhase, RebuildProgress, Tracker, READ_AHEAD_BATCHES, WRITE_AHEAD_BATCHES};
use crate::decode::{decode_all, Decoded};
use crate::{Projection, ProjectionError};

/// Decoding batches, in log order, as the reader hands them on.
type Decodings = mpsc::Receiver<Result<JoinHandle<Vec<Decoded>>, ProjectionError>>;

/// Applies the log after `tracker.position` to the shadows until a read
/// comes back empty, one transaction per batch and projection; with
/// `then_index`, each projection builds its indexes as soon as its own
/// load is done.
///
/// Reading runs ahead of writing on a task of its own, batches are decoded
/// on blocking threads, and each projection's writer takes them from a
/// queue of its own: a projection quicker than another runs ahead (and on
/// to its indexes) instead of waiting for it at every batch, so that both
/// cores stay busy.
pub(super) async fn load(
    store: &EventStore,
    workers: &mut Vec<Worker>,
    projections: &[Projection],
    tracker: &mut Tracker,
    then_index: bool,
    progress: &mut (dyn FnMut(&RebuildProgress) + Send),
) -> Result<(), ProjectionError> {
    let (reader, receiver) = spawn_reader(store, tracker.position, tracker.batch_events_max);
    let (done_sender, mut done) = mpsc::unbounded_channel::<Done>();
    // Set when a writer or the reader fails: the others stop without
    // finishing a shadow that will not be swapped in.
    let failed = Arc::new(AtomicBool::new(false));
    let mut queues = Vec::with_capacity(workers.len());
    let mut tasks = Vec::with_capacity(workers.len());
    for (index, (worker, &projection)) in workers.drain(..).zip(projections).enumerate() {
        let (queue, batches) = mpsc::channel::<Arc<Vec<Decoded>>>(WRITE_AHEAD_BATCHES);
        queues.push(queue);
        tasks.push(tokio::spawn(write_shadow(
            worker,
            projection,
            batches,
            (index, done_sender.clone(), Arc::clone(&failed)),
            then_index,
        )));
    }
    drop(done_sender);
    let fan_out = spawn_fan_out(receiver, queues, failed);
    report_progress(&mut done, tasks.len(), tracker, then_index, progress).await;
    reader.abort();
    let fanned = joined(fan_out.await);
    let mut outcome = Ok(());
    for task in tasks {
        let (worker, written) = joined(task.await);
        workers.push(worker);
        outcome = outcome.and(written);
    }
    outcome.and(fanned)
}

/// The reader: the log after `position`, each batch decoded on a blocking
/// thread, handed on in order until a read comes back empty (or fails).
fn spawn_reader(
    store: &EventStore,
    position: u64,
    batch_events_max: usize,
) -> (JoinHandle<()>, Decodings) {
    let (sender, receiver) =
        mpsc::channel::<Result<JoinHandle<Vec<Decoded>>, ProjectionError>>(READ_AHEAD_BATCHES);
    let reader_store = store.clone();
    let mut position = position;
    let reader = tokio::spawn(async move {
        loop {
            let batch = match reader_store.read_all(position, batch_events_max).await {
                Ok(events) if events.is_empty() => return,
                Ok(events) => {
                    position = events.last().map_or(position, |e| e.position);
                    Ok(tokio::task::spawn_blocking(move || decode_all(events)))
                }
                Err(error) => Err(error.into()),
            };
            let failed = batch.is_err();
            if sender.send(batch).await.is_err() || failed {
                return;
            }
        }
    });
    (reader, receiver)
}

/// Hands each decoded batch, in log order, to every writer.
fn spawn_fan_out(
    mut receiver: Decodings,
    queues: Vec<mpsc::Sender<Arc<Vec<Decoded>>>>,
    failed: Arc<AtomicBool>,
) -> JoinHandle<Result<(), ProjectionError>> {
    tokio::spawn(async move {
        while let Some(decoding) = receiver.recv().await {
            let batch = match decoding {
                Ok(decoding) => Arc::new(joined(decoding.await)),
                Err(error) => {
                    failed.store(true, Ordering::SeqCst);
                    return Err(error);
                }
            };
            for queue in &queues {
                // A writer that stopped has failed; it reports why.
                if queue.send(Arc::clone(&batch)).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok::<(), ProjectionError>(())
    })
}

/// Reports the slowest writer's progress until every writer is done.
async fn report_progress(
    done: &mut mpsc::UnboundedReceiver<Done>,
    writers: usize,
    tracker: &mut Tracker,
    then_index: bool,
    progress: &mut (dyn FnMut(&RebuildProgress) + Send),
) {
    // Progress is the slowest writer's.
    let start = (tracker.position, tracker.events);
    let mut applied = vec![start; writers];
    let mut loading = writers;
    while let Some(message) = done.recv().await {
        match message {
            Done::Batch {
                writer,
                position,
                events,
            } => {
                applied[writer].0 = position;
                applied[writer].1 += events;
                let slowest = applied.iter().min().copied().unwrap_or(start);
                if slowest != (tracker.position, tracker.events) {
                    (tracker.position, tracker.events) = slowest;
                    tracker.head = tracker.head.max(tracker.position);
                    progress(&tracker.report(RebuildPhase::Loading));
                }
            }
            Done::Loaded => {
                loading -= 1;
                if loading == 0 && then_index {
                    progress(&tracker.report(RebuildPhase::Indexing));
                }
            }
        }
    }
}

/// What a writer reports to the rebuild.
pub(super) enum Done {
    /// It committed a batch.
    Batch {
        writer: usize,
        position: u64,
        events: u64,
    },
    /// It has written its whole share of the log.
    Loaded,
}
