//! `decode -Y EXPR` through the real binary on real captures: the packets a
//! display filter keeps are exactly those the unfiltered `decode --json`
//! output says match, in text and JSON, with and without a key; `-c`
//! counts kept packets only; the summary still counts every frame; a
//! filter that does not parse is a usage error pointing at its token.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(args)
        .output()
        .unwrap()
}

fn capture(name: &str) -> String {
    common::crate_dir()
        .join("captures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// `(file, n)` of each JSON line: which packets were printed.
fn ids(lines: &[Value]) -> Vec<(u64, u64)> {
    lines
        .iter()
        .map(|l| (l["file"].as_u64().unwrap(), l["n"].as_u64().unwrap()))
        .collect()
}

type Pred = fn(&Value) -> bool;

/// For each case: the filtered JSON output is the unfiltered output's
/// lines the predicate keeps, and the text output has as many lines.
/// Returns the counts, for the caller's own checks.
fn agree(pre: &[&str], file: &str, cases: &[(&str, Pred)]) -> Vec<usize> {
    let mut all_args = vec!["decode", "--json"];
    all_args.extend_from_slice(pre);
    all_args.push(file);
    let all = run(&all_args);
    assert!(all.status.success());
    let all = json_lines(&all.stdout);
    assert!(all.len() > 1000, "{file}: {}", all.len());
    let mut counts = Vec::new();
    for (expr, pred) in cases {
        let want: Vec<Value> = all.iter().filter(|l| pred(l)).cloned().collect();
        let mut args = vec!["decode", "--json", "-Y", expr];
        args.extend_from_slice(pre);
        args.push(file);
        let got = run(&args);
        assert!(got.status.success(), "{expr}: {:?}", got);
        let got = json_lines(&got.stdout);
        assert_eq!(ids(&got), ids(&want), "{file}: -Y '{expr}'");
        let mut args = vec!["decode", "-Y", expr];
        args.extend_from_slice(pre);
        args.push(file);
        let text = run(&args);
        assert!(text.status.success());
        let n = text.stdout.iter().filter(|b| **b == b'\n').count();
        assert_eq!(n, want.len(), "{file}: text lines of -Y '{expr}'");
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{file}: -Y '{expr}' keeps {} of {}: a weak case",
            want.len(),
            all.len()
        );
        counts.push(want.len());
    }
    counts
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}
fn u(v: &Value, path: &[&str]) -> Option<u64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_u64()
}

#[test]
fn cleartext_knet_fields() {
    let counts = agree(
        &[],
        &capture("healthy-3n-clear.pcap"),
        &[
            ("knet.type == ping && knet.node == 3", |l| {
                s(l, &["knet", "type"]) == Some("ping") && u(l, &["knet", "node"]) == Some(3)
            }),
            ("knet.type in {ping pong}", |l| {
                matches!(s(l, &["knet", "type"]), Some("ping" | "pong"))
            }),
            ("knet.type == ping || knet.type == pong", |l| {
                matches!(s(l, &["knet", "type"]), Some("ping" | "pong"))
            }),
            ("!(knet.type == data)", |l| {
                s(l, &["knet", "type"]) != Some("data")
            }),
            ("ip.src == 10.77.0.1", |l| l["src"] == "10.77.0.1"),
            ("ip.addr == 10.77.0.1 and not ip.dst == 10.77.0.2", |l| {
                (l["src"] == "10.77.0.1" || l["dst"] == "10.77.0.1") && l["dst"] != "10.77.0.2"
            }),
            ("udp.dstport == 5405 && len > 200", |l| {
                l["dport"] == 5405 && l["len"].as_u64().unwrap() > 200
            }),
            ("knet.seq >= 5", |l| {
                u(l, &["knet", "seq"]).is_some_and(|s| s >= 5)
            }),
            ("totem.seq > 50", |l| {
                u(l, &["totem", "seq"]).is_some_and(|s| s > 50)
            }),
            // The capture's third second (ts is printed rounded to the µs).
            ("ts >= 1795318680.5 && ts < 1795318681.5", |l| {
                let t = l["ts"].as_f64().unwrap();
                (1_795_318_680.5..1_795_318_681.5).contains(&t)
            }),
            ("knet.bcast && totem.type == mcast", |l| {
                l["knet"]["bcast"] == true && s(l, &["totem", "type"]) == Some("mcast")
            }),
        ],
    );
    // The README's example, from this run.
    assert_eq!(counts[0], 104);
}

#[test]
fn totem_fields_and_rings_across_a_membership_change() {
    agree(
        &[],
        &capture("membership-3n-node3-cut-rejoin.pcap"),
        &[
            ("totem.type == orf_token", |l| {
                s(l, &["totem", "type"]) == Some("orf_token")
            }),
            ("ring == \"1.15\"", |l| {
                s(l, &["totem", "ring_id"]) == Some("1.15")
            }),
            ("totem.type in {memb_join, memb_commit_token}", |l| {
                matches!(
                    s(l, &["totem", "type"]),
                    Some("memb_join" | "memb_commit_token")
                )
            }),
            (
                "totem.members == 3 && totem.type == memb_commit_token",
                |l| {
                    s(l, &["totem", "type"]) == Some("memb_commit_token")
                        && l["totem"]["members"]
                            .as_array()
                            .is_some_and(|m| m.contains(&Value::from(3)))
                },
            ),
            ("totem.nodeid == 3 && totem.target_nodeid == 1", |l| {
                u(l, &["totem", "nodeid"]) == Some(3)
                    && u(l, &["totem", "target_nodeid"]) == Some(1)
            }),
        ],
    );
}

#[test]
fn links_on_a_two_link_cluster() {
    agree(
        &[],
        &capture("healthy-5n-2l.pcap"),
        &[
            ("link == 1", |l| u(l, &["knet", "link"]) == Some(1)),
            ("knet.link == 0 && knet.type == pmtud_reply", |l| {
                u(l, &["knet", "link"]) == Some(0) && s(l, &["knet", "type"]) == Some("pmtud_reply")
            }),
            ("knet.reassembled", |l| l["knet"]["reassembled"] == true),
        ],
    );
}

#[test]
fn decrypted_packets_with_the_key() {
    let file = capture("healthy-3n-aes256-sha256-nss.pcap");
    let key = capture("healthy-3n-aes256-sha256-nss.authkey");
    agree(
        &["--authkey", &key],
        &file,
        &[
            ("decrypted && knet.type == ping && knet.node == 2", |l| {
                l["decrypted"] == true
                    && s(l, &["knet", "type"]) == Some("ping")
                    && u(l, &["knet", "node"]) == Some(2)
            }),
            ("encrypted && totem.type == orf_token", |l| {
                l["decrypted"] == true && s(l, &["totem", "type"]) == Some("orf_token")
            }),
        ],
    );
}

#[test]
fn inferred_packets_without_the_key() {
    // `knet.type` and `totem.type` are the inferred ones; what the
    // ciphertext hides (nodes, links) never matches.
    let file = capture("healthy-3n-aes256-sha256-nss.pcap");
    agree(
        &[],
        &file,
        &[
            ("knet.type == ping", |l| {
                s(l, &["inferred", "type"]) == Some("ping")
            }),
            ("totem.type == orf_token", |l| {
                s(l, &["inferred", "type"]) == Some("token")
            }),
            (
                "inferred.type in {pong pmtud_reply} && ip.dst == 10.77.0.1",
                |l| {
                    matches!(s(l, &["inferred", "type"]), Some("pong" | "pmtud_reply"))
                        && l["dst"] == "10.77.0.1"
                },
            ),
        ],
    );
    let none = run(&["decode", "-Y", "knet.node == 1 || knet.node != 1", &file]);
    assert!(none.status.success());
    assert!(none.stdout.is_empty());
}

#[test]
fn count_counts_kept_packets_and_the_summary_every_frame() {
    let file = capture("healthy-3n-clear.pcap");
    let out = run(&[
        "decode",
        "--json",
        "-Y",
        "knet.type == pong",
        "-c",
        "5",
        &file,
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 5);
    assert!(lines.iter().all(|l| l["knet"]["type"] == "pong"));

    // Without -c, the closing summary is the same with or without a filter.
    let plain = run(&["decode", &file]);
    let filtered = run(&["decode", "-Y", "totem.type == memb_join", &file]);
    assert!(plain.status.success() && filtered.status.success());
    assert_eq!(
        String::from_utf8_lossy(&plain.stderr),
        String::from_utf8_lossy(&filtered.stderr)
    );
    // -s with a filter: the summary only, unchanged.
    let s1 = run(&["decode", "-s", &file]);
    let s2 = run(&["decode", "-s", "-Y", "link == 7", &file]);
    assert_eq!(s1.stdout, s2.stdout);
    // An empty filter keeps everything, as tshark -Y "".
    let e = run(&["decode", "-Y", "", &file]);
    assert_eq!(e.stdout, plain.stdout);
}

#[test]
fn a_bad_filter_is_a_usage_error_at_its_token() {
    let file = capture("healthy-3n-clear.pcap");
    for (expr, first, caret) in [
        (
            "knet.typ == ping",
            "corowire: error: -Y: unknown field 'knet.typ' at column 1 (did you mean 'knet.type'? fields: ts (frame.time_epoch), file, n",
            "    ^~~~~~~~",
        ),
        (
            "knet.type == pingg",
            "corowire: error: -Y: 'pingg' is not a knet.type (values: data, ping, pong, pmtud, pmtud_reply, host_info, unknown) at column 14",
            "                 ^~~~~",
        ),
        (
            "knet.node > 1 &&",
            "corowire: error: -Y: expected a field name, found the end at column 17",
            "                    ^",
        ),
    ] {
        let out = run(&["decode", "-Y", expr, &file]);
        assert_eq!(out.status.code(), Some(1), "{expr}");
        assert!(out.stdout.is_empty(), "{expr}");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert!(lines[0].starts_with(first), "{err}");
        assert_eq!(lines[1], format!("    {expr}"));
        assert_eq!(lines[2], caret, "{err}");
    }
}

/// A pcap of Ethernet/IPv4/UDP frames to port 5405 with these payloads.
fn pcap(payloads: &[&[u8]]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    for (i, p) in payloads.iter().enumerate() {
        let udp_len = 8 + p.len();
        let ip_len = 20 + udp_len;
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[0x45, 0, (ip_len >> 8) as u8, ip_len as u8]);
        f.extend_from_slice(&[0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(&5405u16.to_be_bytes());
        f.extend_from_slice(&5405u16.to_be_bytes());
        f.extend_from_slice(&(udp_len as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(p);
        b.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&f);
    }
    b
}

#[test]
fn malformed_packets_are_a_class() {
    // Too short for any corosync format, cleartext or encrypted: malformed.
    let input = pcap(&[&[0xAB; 10], &[0xCD; 12]]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["decode", "--json", "-Y", "class == malformed && error", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(lines.iter().all(|l| l["class"] == "malformed"));
}

/// Splits a shell command line of words, 'single' and "double" quoted
/// parts (enough for the README's examples), dropping a `# comment`.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '#') if cur.is_none() => break,
            (None, ' ') => words.extend(cur.take()),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.get_or_insert_with(String::new);
            }
            (Some(q), c) if c == q => quote = None,
            (_, c) => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    words
}

#[test]
fn the_readme_examples_are_real_runs() {
    let readme = std::fs::read_to_string(common::crate_dir().join("README.md")).unwrap();
    let section = readme
        .split("### Display filters")
        .nth(1)
        .expect("the README has a display filter section");
    let block = section.split("```").nth(1).expect("an example block");
    let mut examples: Vec<(Vec<String>, String)> = Vec::new();
    for line in block.lines() {
        if let Some(cmd) = line.strip_prefix("$ corowire ") {
            examples.push((shell_words(cmd), String::new()));
        } else if let Some((_, out)) = examples.last_mut()
            && !line.is_empty()
        {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(examples.len() >= 4, "{examples:?}");
    for (args, want) in &examples {
        let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
            .args(args)
            .current_dir(common::crate_dir())
            .output()
            .unwrap();
        if out.status.success() {
            assert_eq!(String::from_utf8_lossy(&out.stdout), *want, "{args:?}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            assert_eq!(String::from_utf8_lossy(&out.stderr), *want, "{args:?}");
        }
    }
}

#[test]
fn the_readme_lists_every_field() {
    let readme = std::fs::read_to_string(common::crate_dir().join("README.md")).unwrap();
    for f in corowire::filter::fields::FIELDS {
        assert!(
            readme.contains(&format!("\n| `{}`", f.name)),
            "README: no row for {}",
            f.name
        );
        for a in f.aliases {
            assert!(readme.contains(&format!("`{a}`")), "README: alias {a}");
        }
    }
}
