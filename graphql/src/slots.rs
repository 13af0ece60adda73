//! Places for long-lived work (open WebSockets and queries waiting for the
//! read models per client address, subscriptions per user), limited per
//! client and in all, so that one client cannot take every place and the
//! server cannot take more than it serves.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why no place was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotRefusal {
    /// The client holds its share already.
    ClientBusy,
    /// Every place is taken.
    ServerBusy,
}

/// Places held per client (an address unless said otherwise) and in all.
#[derive(Debug)]
pub(crate) struct ClientSlots<K = IpAddr> {
    per_client_max: usize,
    per_client: Mutex<HashMap<K, usize>>,
    total: Arc<Semaphore>,
}

impl<K: Hash + Eq + Copy> ClientSlots<K> {
    /// At most `per_client_max` places per address and `total_max` in all.
    pub(crate) fn new(per_client_max: usize, total_max: usize) -> Arc<Self> {
        Arc::new(Self {
            per_client_max,
            per_client: Mutex::new(HashMap::new()),
            total: Arc::new(Semaphore::new(total_max)),
        })
    }

    /// A place for `client` (none: `None`, e.g. an in-process caller, only
    /// counts in all), held until dropped.
    pub(crate) fn acquire(self: &Arc<Self>, client: Option<K>) -> Result<Slot<K>, SlotRefusal> {
        let permit = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| SlotRefusal::ServerBusy)?;
        if let Some(client) = client {
            let mut per_client = self.per_client.lock().unwrap_or_else(|e| e.into_inner());
            let held = per_client.entry(client).or_default();
            if *held >= self.per_client_max {
                return Err(SlotRefusal::ClientBusy);
            }
            *held += 1;
        }
        Ok(Slot {
            slots: self.clone(),
            client,
            _permit: permit,
        })
    }
}

/// One place in [`ClientSlots`]; freed when dropped.
pub(crate) struct Slot<K: Hash + Eq + Copy = IpAddr> {
    slots: Arc<ClientSlots<K>>,
    client: Option<K>,
    _permit: OwnedSemaphorePermit,
}

impl<K: Hash + Eq + Copy> Drop for Slot<K> {
    fn drop(&mut self) {
        let Some(client) = self.client else {
            return;
        };
        let mut per_client = self
            .slots
            .per_client
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(held) = per_client.get_mut(&client) {
            *held = held.saturating_sub(1);
            // Forget addresses that hold nothing: the map stays as small as
            // the number of clients busy now.
            if *held == 0 {
                per_client.remove(&client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_share_of_places_and_they_come_back_when_dropped() {
        let slots = ClientSlots::new(2, 3);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let held: Vec<_> = (0..2)
            .map(|_| slots.acquire(Some(client)).unwrap())
            .collect();
        assert_eq!(
            slots.acquire(Some(client)).err(),
            Some(SlotRefusal::ClientBusy)
        );
        let other = slots.acquire(Some("192.0.2.2".parse().unwrap())).unwrap();
        assert_eq!(slots.acquire(None).err(), Some(SlotRefusal::ServerBusy));
        drop(held);
        drop(other);
        assert!(slots.acquire(Some(client)).is_ok());
        assert!(slots.per_client.lock().unwrap().is_empty());
    }
}
