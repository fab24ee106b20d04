//! Totem (totemsrp) messages, corosync 3 and 2.
