//! The one load → decide → append-with-expected-version → retry loop.
//!
//! Every command of the system goes through [`EventStore::execute`]: the
//! caller's closure loads the aggregates it needs, asks the domain to
//! decide, and returns the events per stream with the versions they were
//! decided on; the store appends them atomically and, when another writer
//! got there first, runs the closure again on fresh state — a bounded
//! number of times.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use dropledger_domain::{decode_event, encode_event, Aggregate, DecodeError, DomainEvent};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{
    AppendError, AppendResult, EventStore, ExpectedVersion, Metadata, NewEvent, ReadError,
    StreamAppend,
};

/// Attempts a command gets when other writers keep moving its streams.
pub const COMMAND_ATTEMPTS_MAX: u32 = 8;
/// The longest pause before deciding again after a conflict. Each pause is
/// random up to 2^attempt ms (capped here), so that writers that collided
/// do not collide again in lockstep.
const RETRY_PAUSE_MS_MAX: u64 = 64;

/// Events read per request when loading a stream.
const LOAD_BATCH_EVENTS: usize = 1_000;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The domain refused the command.
    #[error(transparent)]
    Refused(E),
    /// Other writers moved the streams on every attempt.
    #[error("gave up after {attempts} attempts: other writers kept changing {stream}")]
    Contended {
        /// How many times the command was decided.
        attempts: u32,
        /// The stream of the last conflict.
        stream: String,
    },
    /// A stored event could not be read back as a domain event.
    #[error("stream {stream} cannot be loaded: {source}")]
    Undecodable {
        /// The stream being loaded.
        stream: String,
        /// Why.
        source: DecodeError,
    },
    /// The store refused the append for another reason, or failed.
    #[error(transparent)]
    Append(AppendError),
    /// Reading the streams failed.
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// An aggregate as loaded: its state and the stream version it reflects.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    /// The aggregate's stream.
    pub stream_id: String,
    /// The state after every event of the stream.
    pub state: A,
    /// The stream's version (0: no stream yet).
    pub version: u64,
}

impl<A: Aggregate> Loaded<A> {
    /// The append of `events` decided on this state, expecting the stream
    /// still to be at the loaded version. Event ids derive from the command
    /// id, so a retried command appends the same ids and is stored once.
    pub fn append(&self, events: &[A::Event], metadata: &Metadata) -> StreamAppend {
        let expected = match self.version {
            0 => ExpectedVersion::NoStream,
            version => ExpectedVersion::Exact(version),
        };
        self.append_expecting(expected, &self.version.to_string(), events, metadata)
    }

    /// The append of `events` whatever the stream's version by then: for
    /// events that commute with every other append to the stream. What a
    /// decision on working capital relies on that others can change is its
    /// budget (free capital), and the store checks that at the write; so
    /// its appends need not expect a version, and cash coming in never makes
    /// a hold decide again. Doing a thing twice is prevented by another
    /// stream of the same command (the order's, the payout's) or by the
    /// events' ids, which derive from the command id and not from a version.
    pub fn append_commuting(&self, events: &[A::Event], metadata: &Metadata) -> StreamAppend {
        self.append_expecting(ExpectedVersion::Any, "any", events, metadata)
    }

    fn append_expecting(
        &self,
        expected: ExpectedVersion,
        version_name: &str,
        events: &[A::Event],
        metadata: &Metadata,
    ) -> StreamAppend {
        let command_id = metadata.command_id.unwrap_or_else(Uuid::new_v4);
        let budget_change = budget_change(events);
        let events = events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                let encoded = encode_event(event);
                let name = format!("{}:{version_name}:{index}", self.stream_id);
                NewEvent {
                    event_id: Uuid::new_v5(&command_id, name.as_bytes()),
                    event_type: encoded.event_type.to_owned(),
                    schema_version: encoded.schema_version,
                    payload: encoded.payload,
                    metadata: metadata.clone(),
                }
            })
            .collect();
        StreamAppend {
            stream_id: self.stream_id.clone(),
            expected,
            events,
            budget_change,
        }
    }
}

/// The sum of the events' budget changes, or `None` when none of them has
/// one (a stream that keeps no budget).
fn budget_change<E: DomainEvent>(events: &[E]) -> Option<Decimal> {
    events
        .iter()
        .filter_map(DomainEvent::budget_change)
        .reduce(|sum, change| sum + change)
}

/// States of long streams loaded before, kept by the store per process, so
/// that a stream every command reads (one currency's working capital sees
/// every capture, hold and payout) is read from where the last load stopped
/// instead of from its start: the cost of a load is its new events, not the
/// stream's history. Events never change, so a cached state is only ever
/// behind, never wrong.
#[derive(Default)]
pub(crate) struct StateCache {
    states: Mutex<HashMap<CacheKey, CachedState>>,
}

/// An aggregate type and one of its streams.
type CacheKey = (TypeId, String);
/// The stream version a state reflects, and the state.
type CachedState = (u64, Arc<dyn Any + Send + Sync>);

/// Streams the cache keeps at most; past that it starts over. Only long
/// streams are loaded through it, and there are few of them.
const CACHED_STREAMS_MAX: usize = 1_000;

impl StateCache {
    fn get<A: Clone + 'static>(&self, stream_id: &str) -> Option<(u64, A)> {
        let states = self.states.lock().ok()?;
        let (version, state) = states.get(&(TypeId::of::<A>(), stream_id.to_owned()))?;
        Some((*version, state.downcast_ref::<A>()?.clone()))
    }

    fn put<A: Clone + Send + Sync + 'static>(&self, loaded: &Loaded<A>) {
        let Ok(mut states) = self.states.lock() else {
            return;
        };
        let key = (TypeId::of::<A>(), loaded.stream_id.clone());
        if states.len() >= CACHED_STREAMS_MAX && !states.contains_key(&key) {
            states.clear();
        }
        // Two loads may finish in either order: keep the newer state.
        if states
            .get(&key)
            .is_some_and(|(version, _)| *version >= loaded.version)
        {
            return;
        }
        states.insert(key, (loaded.version, Arc::new(loaded.state.clone())));
    }
}

impl EventStore {
    /// Loads an aggregate by replaying its stream over `initial`.
    pub async fn load<A: Aggregate, E>(
        &self,
        stream_id: &str,
        initial: A,
    ) -> Result<Loaded<A>, CommandError<E>> {
        self.load_after(stream_id, 0, initial).await
    }

    /// Loads the aggregate of a long stream, reading only the events after
    /// the state this process loaded last (see [`StateCache`]).
    pub async fn load_cached<A, E>(
        &self,
        stream_id: &str,
        initial: A,
    ) -> Result<Loaded<A>, CommandError<E>>
    where
        A: Aggregate + Send + Sync + 'static,
    {
        let loaded = match self.states.get::<A>(stream_id) {
            Some((version, state)) => self.load_after(stream_id, version, state).await?,
            None => self.load_after(stream_id, 0, initial).await?,
        };
        self.states.put(&loaded);
        Ok(loaded)
    }

    async fn load_after<A: Aggregate, E>(
        &self,
        stream_id: &str,
        version: u64,
        state: A,
    ) -> Result<Loaded<A>, CommandError<E>> {
        let mut loaded = Loaded {
            stream_id: stream_id.to_owned(),
            state,
            version,
        };
        loop {
            let batch = self
                .read_stream(stream_id, loaded.version + 1, LOAD_BATCH_EVENTS)
                .await?;
            for recorded in &batch {
                let payload = recorded.payload_value();
                let event: A::Event =
                    decode_event(&recorded.event_type, recorded.schema_version, payload).map_err(
                        |source| CommandError::Undecodable {
                            stream: stream_id.to_owned(),
                            source,
                        },
                    )?;
                loaded.state = loaded.state.evolve(&event);
                loaded.version = recorded.stream_version;
            }
            if batch.len() < LOAD_BATCH_EVENTS {
                return Ok(loaded);
            }
        }
    }

    /// Runs a command: `decide` loads what it needs and returns the appends
    /// and the command's result; on a version conflict it runs again on
    /// fresh state, at most [`COMMAND_ATTEMPTS_MAX`] times.
    pub async fn execute<T, E, F, Fut>(
        &self,
        mut decide: F,
    ) -> Result<(T, Vec<AppendResult>), CommandError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(Vec<StreamAppend>, T), CommandError<E>>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (appends, output) = decide().await?;
            let appends: Vec<StreamAppend> = appends
                .into_iter()
                .filter(|a| !a.events.is_empty())
                .collect();
            if appends.is_empty() {
                record_attempts(attempts);
                return Ok((output, Vec::new()));
            }
            match self.append_all(&appends).await {
                Ok(results) => {
                    record_attempts(attempts);
                    return Ok((output, results));
                }
                // Another writer moved a stream, or drew on its budget,
                // since this decision read it: decide again on what is
                // there now. The domain then refuses with its own reason
                // (insufficient funds, say) or decides anew.
                Err(
                    AppendError::VersionConflict { stream, .. }
                    | AppendError::BudgetExceeded { stream },
                ) => {
                    if attempts >= COMMAND_ATTEMPTS_MAX {
                        record_attempts(attempts);
                        return Err(CommandError::Contended { attempts, stream });
                    }
                    tracing::debug!(%stream, attempts, "stream moved since read; deciding again");
                    tokio::time::sleep(retry_pause(attempts)).await;
                }
                Err(other) => return Err(CommandError::Append(other)),
            }
        }
    }
}

/// How many times commands are decided before they are appended (1: no
/// retry), for `/metrics`: the cost of contention.
fn record_attempts(attempts: u32) {
    metrics::histogram!("dropledger_command_attempts").record(f64::from(attempts));
}

/// A random pause before attempt `attempts + 1`; the randomness is a v4
/// UUID's, which the store already draws for command ids.
fn retry_pause(attempts: u32) -> std::time::Duration {
    let ceiling = (1_u64 << attempts.min(16)).min(RETRY_PAUSE_MS_MAX);
    let random = Uuid::new_v4().as_u128() as u64;
    std::time::Duration::from_micros(random % (ceiling * 1_000))
}
