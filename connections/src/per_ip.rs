//! Connections open per client address, so one client cannot hold every
//! slot of the global cap.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Counts open connections by client address, up to a cap.
#[derive(Debug)]
pub struct PerIp {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerIp {
    /// At most `max` connections per address.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for one more connection from `ip`, or `None` when it already
    /// holds its share. An IPv4 client reaching a dual-stack socket counts as
    /// its IPv4 address.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let ip = ip.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot {
            owner: self.clone(),
            ip,
        })
    }

    /// Addresses holding at least one connection.
    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.open.lock().unwrap().len()
    }
}

/// One connection's place in its address's count, given back on drop.
#[derive(Debug)]
pub struct IpSlot {
    owner: Arc<PerIp>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut open = self
            .owner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            // Freed at zero, so the map holds only addresses connected now.
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn an_address_at_its_cap_is_refused_while_another_is_admitted() {
        let per_ip = PerIp::new(2);
        let _first = per_ip.admit(A).unwrap();
        let _second = per_ip.admit(A).unwrap();
        assert!(per_ip.admit(A).is_none());
        assert!(per_ip.admit(B).is_some());
    }

    #[test]
    fn a_closed_connection_frees_its_slot_and_an_idle_address_leaves_the_map() {
        let per_ip = PerIp::new(1);
        let slot = per_ip.admit(A).unwrap();
        assert!(per_ip.admit(A).is_none());
        drop(slot);
        assert_eq!(per_ip.addresses(), 0);
        assert!(per_ip.admit(A).is_some());
    }

    #[test]
    fn an_ipv4_mapped_address_counts_as_its_ipv4_address() {
        let per_ip = PerIp::new(1);
        let _v4 = per_ip.admit(A).unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert!(per_ip.admit(mapped).is_none());
    }
}
