//! Which events a process manager is reacting to right now, and how far its
//! checkpoint may move: only past events whose reactions have all finished.
//!
//! A manager may react to several events at once (fulfilment waits on the
//! supplier and PayPal for most of each step), but never to two events of
//! the same partition (an order's stream): those keep log order.

use std::collections::{BTreeSet, HashSet};

/// The reactions under way.
#[derive(Debug, Default)]
pub struct InFlight {
    positions: BTreeSet<u64>,
    partitions: HashSet<String>,
}

impl InFlight {
    /// How many reactions are under way.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether an event of `partition` is being reacted to.
    pub fn is_busy(&self, partition: &str) -> bool {
        self.partitions.contains(partition)
    }

    /// A reaction to the event at `position` of `partition` starts.
    pub fn start(&mut self, position: u64, partition: String) {
        debug_assert!(!self.partitions.contains(&partition));
        self.positions.insert(position);
        self.partitions.insert(partition);
    }

    /// The reaction to the event at `position` of `partition` finished.
    pub fn finish(&mut self, position: u64, partition: &str) {
        self.positions.remove(&position);
        self.partitions.remove(partition);
    }

    /// The furthest the checkpoint may move once every event up to `read`
    /// was handed out: just before the oldest reaction still under way, or
    /// `read` when none is.
    pub fn safe_checkpoint(&self, read: u64) -> u64 {
        match self.positions.first() {
            Some(oldest) => oldest - 1,
            None => read,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpoint_stops_before_the_oldest_unfinished_reaction() {
        let mut in_flight = InFlight::default();
        assert_eq!(in_flight.safe_checkpoint(7), 7);
        in_flight.start(10, "order-a".into());
        in_flight.start(12, "order-b".into());
        in_flight.start(15, "order-c".into());
        assert_eq!(in_flight.safe_checkpoint(16), 9);
        // A later one finishing first moves nothing.
        in_flight.finish(12, "order-b");
        assert_eq!(in_flight.safe_checkpoint(16), 9);
        in_flight.finish(10, "order-a");
        assert_eq!(in_flight.safe_checkpoint(16), 14);
        in_flight.finish(15, "order-c");
        assert_eq!(in_flight.safe_checkpoint(16), 16);
        assert_eq!(in_flight.len(), 0);
    }

    #[test]
    fn a_partition_is_busy_until_its_reaction_finishes() {
        let mut in_flight = InFlight::default();
        in_flight.start(3, "order-a".into());
        assert!(in_flight.is_busy("order-a"));
        assert!(!in_flight.is_busy("order-b"));
        in_flight.finish(3, "order-a");
        assert!(!in_flight.is_busy("order-a"));
    }
}
