//! Cluster configuration: corosync.conf (nodelist, links, totem timeouts,
//! crypto), the budgets derived from it, and authkey loading.
//!
//! OWNER: crypto/config helper.
