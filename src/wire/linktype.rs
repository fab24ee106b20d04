//! Link-layer header types (tcpdump.org LINKTYPE_* values): the ones
//! corowire decodes, and the names of common others for messages.

pub const NULL: u32 = 0;
pub const ETHERNET: u32 = 1;
pub const RAW: u32 = 101;
pub const LINUX_SLL: u32 = 113;
pub const IPV4: u32 = 228;
pub const IPV6: u32 = 229;
pub const LINUX_SLL2: u32 = 276;
/// DLT_RAW as some systems number it.
pub const RAW_ALT12: u32 = 12;
pub const RAW_ALT14: u32 = 14;

/// True for the link types the network decoder reads.
pub fn supported(lt: u32) -> bool {
    matches!(
        lt,
        NULL | ETHERNET | RAW | LINUX_SLL | IPV4 | IPV6 | LINUX_SLL2 | RAW_ALT12 | RAW_ALT14
    )
}

/// The LINKTYPE_ name of common link types ("" when not known here).
pub fn name(lt: u32) -> &'static str {
    match lt {
        NULL => "NULL",
        ETHERNET => "ETHERNET",
        6 => "IEEE802_5",
        9 => "PPP",
        RAW_ALT12 | RAW_ALT14 | RAW => "RAW",
        50 => "PPP_HDLC",
        104 => "C_HDLC",
        105 => "IEEE802_11",
        108 => "LOOP",
        LINUX_SLL => "LINUX_SLL",
        127 => "IEEE802_11_RADIOTAP",
        147..=162 => "USER",
        187 => "BLUETOOTH_HCI_H4",
        189 => "USB_LINUX",
        192 => "PPI",
        195 => "IEEE802_15_4_WITHFCS",
        220 => "USB_LINUX_MMAPPED",
        IPV4 => "IPV4",
        IPV6 => "IPV6",
        249 => "NETLINK",
        LINUX_SLL2 => "LINUX_SLL2",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_types_and_names() {
        for lt in [0, 1, 12, 14, 101, 113, 228, 229, 276] {
            assert!(supported(lt), "{lt}");
            assert!(!name(lt).is_empty(), "{lt}");
        }
        assert!(!supported(105));
        assert_eq!(name(105), "IEEE802_11");
        assert_eq!(name(127), "IEEE802_11_RADIOTAP");
        assert_eq!(name(4242), "");
    }
}
