//! Upcasting: reading old payloads as the current shape.
//!
//! Events are never rewritten, so when a payload's shape changes the new code
//! registers a function from the old schema version to the next one; every
//! read runs the chain of such functions, and the code above the store only
//! ever sees current payloads.

use std::collections::HashMap;

use serde_json::Value;

/// An upgrade of one payload, given the id of the stream it is in.
type UpcastFn = Box<dyn Fn(&str, Value) -> Result<Value, String> + Send + Sync>;

/// The registered upgrades, by event type and the version they upgrade from.
/// Keyed by type first so that a read, which asks for every event it
/// decodes, looks up a `&str` without allocating.
#[derive(Default)]
pub struct Upcasters {
    steps: HashMap<String, HashMap<i32, UpcastFn>>,
}

/// Upgrade steps applied to one payload at most; a longer chain is a bug.
const UPCAST_STEPS_MAX: usize = 64;

impl Upcasters {
    /// No upgrades: payloads are read as stored.
    pub fn new() -> Self {
        Self::default()
    }

    /// The upgrades this code needs to read every event ever stored
    /// ([`dropledger_domain::upcasts`]): what [`crate::EventStore::new`] reads with.
    pub fn domain() -> Self {
        dropledger_domain::upcasts()
            .into_iter()
            .fold(Self::new(), |upcasters, step| {
                upcasters.register_in_stream(step.event_type, step.from_version, step.upgrade)
            })
    }

    /// Registers the upgrade of `event_type` payloads from `from_version` to
    /// `from_version + 1`.
    pub fn register(
        self,
        event_type: &str,
        from_version: i32,
        upgrade: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.register_in_stream(event_type, from_version, move |_stream_id, payload| {
            upgrade(payload)
        })
    }

    /// As [`Upcasters::register`], for an upgrade that needs the id of the
    /// event's stream (say, the user a `user-<uuid>` event is about).
    pub fn register_in_stream(
        mut self,
        event_type: &str,
        from_version: i32,
        upgrade: impl Fn(&str, Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.steps
            .entry(event_type.to_owned())
            .or_default()
            .insert(from_version, Box::new(upgrade));
        self
    }

    /// True when some upgrade applies to `event_type` at `schema_version`.
    pub fn applies_to(&self, event_type: &str, schema_version: i32) -> bool {
        self.step(event_type, schema_version).is_some()
    }

    /// Runs every registered upgrade from `schema_version` on, returning the
    /// payload and the version it ends at.
    pub fn upcast(
        &self,
        event_type: &str,
        stream_id: &str,
        schema_version: i32,
        mut payload: Value,
    ) -> Result<(i32, Value), String> {
        let mut version = schema_version;
        for _ in 0..UPCAST_STEPS_MAX {
            match self.step(event_type, version) {
                Some(upgrade) => {
                    payload = upgrade(stream_id, payload)
                        .map_err(|reason| format!("upcasting from v{version}: {reason}"))?;
                    version += 1;
                }
                None => return Ok((version, payload)),
            }
        }
        Err(format!(
            "more than {UPCAST_STEPS_MAX} upcasting steps for {event_type}"
        ))
    }

    fn step(&self, event_type: &str, from_version: i32) -> Option<&UpcastFn> {
        self.steps.get(event_type)?.get(&from_version)
    }
}

impl std::fmt::Debug for Upcasters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<(&String, &i32)> = self
            .steps
            .iter()
            .flat_map(|(event_type, versions)| {
                versions.keys().map(move |version| (event_type, version))
            })
            .collect();
        keys.sort();
        f.debug_struct("Upcasters").field("steps", &keys).finish()
    }
}
