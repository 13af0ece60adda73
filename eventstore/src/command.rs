//! The one load → decide → append-with-expected-version → retry loop.
//!
//! Every command of the system goes through [`EventStore::execute`]: the
//! caller's closure loads the aggregates it needs, asks the domain to
//! decide, and returns the events per stream with the versions they were
//! decided on; the store appends them atomically and, when another writer
//! got there first, runs the closure again on fresh state — a bounded
//! number of times.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use dropledger_domain::{decode_event, encode_event, Aggregate, DecodeError};
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
    /// events that commute with every other append to the stream, because
    /// no decision taken on it can be invalidated by them — money coming
    /// in, say, which only ever makes a later hold more affordable. Another
    /// stream of the same command must guard against doing it twice (a
    /// capture's order stream does). A hot stream then serialises only the
    /// decisions that need it.
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
        }
    }
}

/// Aggregates loaded before, kept per process so that a long stream (one
/// currency's working capital sees every capture) is read from where the
/// last load stopped instead of from its start.
#[derive(Default)]
pub struct AggregateCache<A> {
    loaded: Mutex<HashMap<String, (u64, A)>>,
}

/// Streams an [`AggregateCache`] keeps at most; past that it starts over.
const CACHED_STREAMS_MAX: usize = 10_000;

impl<A: Aggregate> AggregateCache<A> {
    /// An empty cache.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            loaded: Mutex::new(HashMap::new()),
        })
    }

    fn get(&self, stream_id: &str) -> Option<(u64, A)> {
        self.loaded.lock().ok()?.get(stream_id).cloned()
    }

    fn put(&self, loaded: &Loaded<A>) {
        if let Ok(mut cache) = self.loaded.lock() {
            if cache.len() >= CACHED_STREAMS_MAX && !cache.contains_key(&loaded.stream_id) {
                cache.clear();
            }
            cache.insert(
                loaded.stream_id.clone(),
                (loaded.version, loaded.state.clone()),
            );
        }
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

    /// Loads an aggregate, starting from the cached state when there is one.
    pub async fn load_cached<A: Aggregate, E>(
        &self,
        cache: &AggregateCache<A>,
        stream_id: &str,
        initial: A,
    ) -> Result<Loaded<A>, CommandError<E>> {
        let loaded = match cache.get(stream_id) {
            Some((version, state)) => self.load_after(stream_id, version, state).await?,
            None => self.load_after(stream_id, 0, initial).await?,
        };
        cache.put(&loaded);
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
                return Ok((output, Vec::new()));
            }
            match self.append_all(&appends).await {
                Ok(results) => return Ok((output, results)),
                Err(AppendError::VersionConflict { stream, .. }) => {
                    if attempts >= COMMAND_ATTEMPTS_MAX {
                        return Err(CommandError::Contended { attempts, stream });
                    }
                    tracing::debug!(%stream, attempts, "version conflict; deciding again");
                    tokio::time::sleep(retry_pause(attempts)).await;
                }
                Err(other) => return Err(CommandError::Append(other)),
            }
        }
    }
}

/// A random pause before attempt `attempts + 1`; the randomness is a v4
/// UUID's, which the store already draws for command ids.
fn retry_pause(attempts: u32) -> std::time::Duration {
    let ceiling = (1_u64 << attempts.min(16)).min(RETRY_PAUSE_MS_MAX);
    let random = Uuid::new_v4().as_u128() as u64;
    std::time::Duration::from_micros(random % (ceiling * 1_000))
}
