use super::*;
use crate::wire::WireErrorKind;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// docs/wire-format.md §6.13: the first orf token of a new 2-node ring (LE sender).
const ORF: &str = "70c0 03 00 00 01000000 02000000
    00000000 00000000 ffffffff 01000000
    01000000 0900000000000000
    00000000 00000000 00000000 00000000";

/// Converts a little-endian corosync 3 message of a known layout to big
/// endian, swapping the listed field widths in order.
fn to_be(le: &[u8], widths: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut off = 0;
    for &w in widths {
        let mut f = le[off..off + w].to_vec();
        f.reverse();
        out.extend(f);
        off += w;
    }
    out.extend_from_slice(&le[off..]);
    out
}

#[test]
fn orf_token_vector() {
    let b = hex(ORF);
    assert_eq!(b.len(), 57);
    let t = parse(&b).unwrap();
    assert_eq!(t.header.version, Version::V3);
    assert_eq!(t.header.order, ByteOrder::Little);
    assert_eq!(t.header.mtype, MessageType::OrfToken);
    assert_eq!((t.header.nodeid, t.header.target_nodeid), (1, Some(2)));
    let Body::OrfToken(o) = t.body else { panic!() };
    assert_eq!(
        (o.seq, o.token_seq, o.aru, o.aru_addr),
        (0, 0, 0xffff_ffff, 1)
    );
    assert_eq!(o.ring_id.to_string(), "1.9");
    assert!(o.rtr.is_empty());
    assert_eq!(t.trailing, 0);
    assert!(looks_like_v3(&b));
}

#[test]
fn orf_token_big_endian_with_rtr() {
    let mut le = hex(ORF);
    le[53] = 2; // two rtr entries
    for s in [7u32, 8] {
        le.extend_from_slice(&1u32.to_le_bytes());
        le.extend_from_slice(&9u64.to_le_bytes());
        le.extend_from_slice(&s.to_le_bytes());
    }
    let t = parse(&le).unwrap();
    let Body::OrfToken(o) = t.body else { panic!() };
    let seqs: Vec<u32> = o.rtr.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [7, 8]);
    assert_eq!(o.rtr.iter().next().unwrap().ring_id.to_string(), "1.9");

    let mut widths = vec![2, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 8, 4, 4, 4, 4];
    widths.extend([4, 8, 4, 4, 8, 4]);
    let be = to_be(&le, &widths);
    assert_eq!(&be[..2], &[0xc0, 0x70]);
    let t = parse(&be).unwrap();
    assert_eq!(t.header.order, ByteOrder::Big);
    let Body::OrfToken(ob) = t.body else { panic!() };
    assert_eq!(ob.rtr.iter().map(|r| r.seq).collect::<Vec<_>>(), [7, 8]);
    assert_eq!((ob.aru, ob.aru_addr, ob.ring_id.seq), (0xffff_ffff, 1, 9));
}

fn v3_header(t: u8, node: u32, target: u32) -> Vec<u8> {
    let mut b = vec![0x70, 0xc0, 3, t, if t == 1 { 2 } else { 0 }];
    b.extend(node.to_le_bytes());
    b.extend(target.to_le_bytes());
    b
}

fn ring(rep: u32, seq: u64) -> Vec<u8> {
    let mut b = rep.to_le_bytes().to_vec();
    b.extend(seq.to_le_bytes());
    b
}

#[test]
fn mcast_join_commit_merge_hold() {
    // mcast
    let mut m = v3_header(1, 2, 0);
    for v in [2u32, 15, 3] {
        m.extend(v.to_le_bytes());
    }
    m.extend(ring(1, 0xd));
    m.extend([0u8; 8]);
    m.extend(b"payload");
    let t = parse(&m).unwrap();
    let Body::Mcast(mc) = t.body else { panic!() };
    assert_eq!(
        (mc.system_from, mc.seq, mc.this_seqno, mc.payload),
        (2, 15, 3, &b"payload"[..])
    );
    assert_eq!(t.header.encapsulated, 2);
    assert_eq!(t.ring_id().unwrap().to_string(), "1.d");

    // join with 2 procs, 1 failed
    let mut j = v3_header(3, 1, 0);
    for v in [1u32, 2, 1] {
        j.extend(v.to_le_bytes());
    }
    j.extend(0x10u64.to_le_bytes());
    for v in [1u32, 2, 3] {
        j.extend(v.to_le_bytes());
    }
    assert_eq!(j.len(), 33 + 12);
    let Body::Join(jn) = parse(&j).unwrap().body else {
        panic!()
    };
    assert_eq!(jn.proc_list.iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(jn.failed_list.iter().collect::<Vec<_>>(), [3]);
    assert_eq!(jn.ring_seq, 0x10);

    // commit token, 2 members (97 bytes in the lab)
    let mut c = v3_header(4, 1, 2);
    c.extend(0u32.to_le_bytes());
    c.extend(ring(1, 0xd));
    c.extend(0i32.to_le_bytes());
    c.extend(1i32.to_le_bytes());
    c.extend(2i32.to_le_bytes());
    c.extend(1u32.to_le_bytes());
    c.extend(2u32.to_le_bytes());
    for (n, aru) in [(1u32, 5u32), (2, 6)] {
        c.extend(ring(n, 9));
        c.extend(aru.to_le_bytes());
        c.extend(aru.to_le_bytes());
        c.extend(1u32.to_le_bytes());
    }
    assert_eq!(c.len(), 97);
    let Body::CommitToken(ct) = parse(&c).unwrap().body else {
        panic!()
    };
    assert_eq!(ct.members.iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(ct.ring_id.to_string(), "1.d");
    assert_eq!(ct.memb_index, 1);
    let e: Vec<_> = ct.entries.iter().collect();
    assert_eq!((e[1].ring_id.rep, e[1].aru, e[1].received_flg), (2, 6, 1));

    // merge detect (29) and hold cancel (25)
    let mut md = v3_header(2, 1, 0);
    md.extend(1u32.to_le_bytes());
    md.extend(ring(1, 9));
    assert_eq!(md.len(), 29);
    assert_eq!(
        parse(&md).unwrap().body,
        Body::MergeDetect {
            system_from: 1,
            ring_id: RingId {
                rep: 1,
                seq: 9,
                rep_addr: None
            }
        }
    );
    let mut hc = v3_header(5, 2, 0);
    hc.extend(ring(1, 9));
    assert_eq!(hc.len(), 25);
    assert!(matches!(parse(&hc).unwrap().body, Body::HoldCancel { .. }));

    for msg in [&m, &j, &c, &md, &hc] {
        for n in 0..msg.len() {
            if msg == &m && n >= 45 {
                continue; // mcast payload is open-ended
            }
            assert!(parse(&msg[..n]).is_err(), "len {n} of type {}", msg[3]);
        }
    }
}

#[test]
fn unknown_types_and_bad_counts() {
    let mut b = v3_header(9, 1, 0);
    b.extend([1, 2, 3]);
    // The quick-classification rule stops at type 5, the decoder keeps it.
    assert!(!looks_like_v3(&b));
    let t = parse_v3(&b).unwrap();
    assert_eq!(t.header.mtype, MessageType::Unknown(9));
    assert_eq!(t.body, Body::Unknown(&[1, 2, 3]));

    let mut b = hex(ORF);
    b[53..57].copy_from_slice(&(-1i32).to_le_bytes());
    assert!(matches!(
        parse(&b).unwrap_err().kind,
        WireErrorKind::BadValue {
            field: "rtr_list_entries",
            ..
        }
    ));
    let mut b = hex(ORF);
    b[53] = 1;
    assert!(matches!(
        parse(&b).unwrap_err().kind,
        WireErrorKind::BadLength { .. }
    ));
    let mut b = hex(ORF);
    b[2] = 2;
    assert!(parse_v3(&b).is_err());
}

/// A corosync 2 totem_ip_address for an IPv4 node.
fn ip2(nodeid: u32, a: [u8; 4]) -> Vec<u8> {
    let mut b = nodeid.to_le_bytes().to_vec();
    b.extend(2u16.to_le_bytes());
    b.extend(a);
    b.extend([0u8; 12]);
    b
}

fn srp2(nodeid: u32, a: [u8; 4]) -> Vec<u8> {
    let mut b = vec![2];
    b.extend(ip2(nodeid, a));
    b.extend(ip2(nodeid, [0; 4]));
    b
}

#[test]
fn corosync2_messages() {
    let ring2 = |seq: u64| {
        let mut r = ip2(1, [10, 0, 0, 1]);
        r.extend(seq.to_le_bytes());
        r
    };
    // orf token, 70 bytes
    let mut o = vec![0, 0, 0x22, 0xff];
    o.extend(1u32.to_le_bytes());
    for v in [5u32, 100, 5, 0] {
        o.extend(v.to_le_bytes());
    }
    o.extend(ring2(12));
    o.extend([0u8; 16]);
    assert_eq!(o.len(), 70);
    assert!(looks_like_v2(&o));
    let t = parse(&o).unwrap();
    assert_eq!(t.header.version, Version::V2);
    let Body::OrfToken(ot) = t.body else { panic!() };
    assert_eq!((ot.seq, ot.token_seq), (5, 100));
    assert_eq!(ot.ring_id.to_string(), "10.0.0.1:12");

    // mcast, 99 bytes + payload
    let mut m = vec![1, 2, 0x22, 0xff];
    m.extend(2u32.to_le_bytes());
    m.extend(srp2(2, [10, 0, 0, 2]));
    m.extend(7u32.to_le_bytes());
    m.extend(3u32.to_le_bytes());
    m.extend(ring2(12));
    m.extend([0u8; 8]);
    assert_eq!(m.len(), 99);
    m.extend(b"x");
    let Body::Mcast(mc) = parse(&m).unwrap().body else {
        panic!()
    };
    assert_eq!((mc.system_from, mc.seq, mc.payload), (2, 7, &b"x"[..]));

    // join with 2 procs
    let mut j = vec![3, 0, 0x22, 0xff];
    j.extend(1u32.to_le_bytes());
    j.extend(srp2(1, [10, 0, 0, 1]));
    j.extend(2u32.to_le_bytes());
    j.extend(0u32.to_le_bytes());
    j.extend(12u64.to_le_bytes());
    j.extend(srp2(1, [10, 0, 0, 1]));
    j.extend(srp2(2, [10, 0, 0, 2]));
    assert_eq!(j.len(), 69 + 90);
    let Body::Join(jn) = parse(&j).unwrap().body else {
        panic!()
    };
    assert_eq!(jn.proc_list.iter().collect::<Vec<_>>(), [1, 2]);

    // hold cancel 38, ring test 12
    let mut hc = vec![5, 0, 0x22, 0xff];
    hc.extend(1u32.to_le_bytes());
    hc.extend(ring2(12));
    assert_eq!(hc.len(), 38);
    assert!(matches!(parse(&hc).unwrap().body, Body::HoldCancel { .. }));
    let mut rt = vec![6, 0, 0x22, 0xff];
    rt.extend(1i32.to_le_bytes());
    rt.extend(2i32.to_le_bytes());
    assert_eq!(
        parse(&rt).unwrap().body,
        Body::RingTest {
            ring_number: 1,
            nodeid_activator: 2
        }
    );

    for msg in [&o, &j, &hc, &rt] {
        for n in 0..msg.len() {
            assert!(parse(&msg[..n]).is_err());
        }
    }
}
