//! What a UDP payload on a corosync port is (spec section 0).
