//! `report --format html`: the page of real corpus captures says what the
//! text and JSON reports say (the verdict, every incident, every finding's
//! time), has one SVG per plot with the right series, names no address to
//! fetch, and stays small, a long capture included.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn corowire(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(args)
        .output()
        .expect("run corowire");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

/// The page of `pcaps` written with `-o`, its exit status, and stdout (empty).
fn html(pcaps: &[PathBuf], name: &str) -> (i32, String) {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.html"));
    let mut args = vec!["report", "--format", "html", "-o", out.to_str().unwrap()];
    args.extend(pcaps.iter().map(|p| p.to_str().unwrap()));
    let (code, stdout) = corowire(&args);
    assert_eq!(stdout, "", "-o leaves stdout empty");
    let page = std::fs::read_to_string(&out).expect("the page");
    let _ = std::fs::remove_file(&out);
    (code, page)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Epoch seconds → "HH:MM:SS.mmm" UTC, as the reports print times.
fn clock(t: f64) -> String {
    let ms = (t * 1000.0).floor() as i64;
    let day = ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3_600_000,
        day / 60_000 % 60,
        day / 1000 % 60,
        day % 1000
    )
}

/// The figures of the page: (id, svg) for each `<figure id=…>…<svg>…</svg>`.
fn figures(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in page.split("<figure").skip(1) {
        let id = part
            .split("id=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("")
            .to_string();
        let svg = part
            .split_once("<svg")
            .and_then(|(_, r)| r.split_once("</svg>"))
            .map(|(s, _)| format!("<svg{s}</svg>"))
            .expect("a figure holds an svg");
        out.push((id, svg));
    }
    out
}

/// The texts an SVG shows, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .map(|(_, r)| unescape(r.split("</text>").next().unwrap_or("").trim()))
        .collect()
}

fn count(svg: &str, tag: &str, attr: &str) -> usize {
    svg.split(&format!("<{tag} "))
        .skip(1)
        .filter(|e| e.split('>').next().unwrap_or("").contains(attr))
        .count()
}

/// Checks the page of corpus captures (one, or one per node) against
/// their text and JSON reports.
fn check(names: &[&str]) -> usize {
    check_page(names).1
}

/// As [`check`], returning the page too.
fn check_page(names: &[&str]) -> (String, usize) {
    let pcaps: Vec<PathBuf> = names.iter().map(|n| capture(n)).collect();
    let name = names[0];
    let (code, page) = html(&pcaps, name);
    let files: Vec<&str> = pcaps.iter().map(|p| p.to_str().unwrap()).collect();
    let (text_code, text) = corowire(&[&["report"], &files[..]].concat());
    let (_, json) = corowire(&[&["report", "--format", "json"], &files[..]].concat());
    let json: Value = serde_json::from_str(&json).expect("json report");
    assert_eq!(code, text_code, "{name}: the exit status is the verdict's");

    // Self-contained: nothing to fetch, nothing to run.
    for bad in [
        "http://", "https://", "<script", " src=", "<link", "@import", "url(",
    ] {
        assert!(!page.contains(bad), "{name}: the page has {bad:?}");
    }
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));

    // The verdict, as the text report words it (unwrapped).
    let verdict: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("capture ") && !l.starts_with("not judged"))
        .collect();
    let verdict = verdict.join(" ");
    assert!(verdict.starts_with("VERDICT: "), "{name}: {verdict}");
    let shown = page
        .split_once("id=\"verdict\">")
        .and_then(|(_, r)| r.split_once("</p>"))
        .map(|(v, _)| unescape(v))
        .expect("the verdict line");
    assert_eq!(shown, verdict, "{name}");

    // Every incident: its row, start and summary.
    let incidents = json["incidents"].as_array().expect("incidents");
    assert_eq!(
        page.matches("<tr id=\"i").count(),
        incidents.len(),
        "{name}"
    );
    for (n, i) in incidents.iter().enumerate() {
        let row = page
            .split(&format!("<tr id=\"i{}\">", n + 1))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("{name}: incident {}", n + 1));
        let start = clock(i["start"].as_f64().unwrap());
        assert!(row.contains(&start), "{name}: incident at {start}: {row}");
        let summary = i["summary"].as_str().unwrap();
        assert!(unescape(row).contains(summary), "{name}: {summary}: {row}");
        // Its findings link to their rows.
        for f in i["findings"].as_array().unwrap() {
            let id = f.as_u64().unwrap() + 1;
            assert!(
                row.contains(&format!("href=\"#f{id}\"")),
                "{name}: finding {id}"
            );
            assert!(
                page.contains(&format!("<tr id=\"f{id}\">")),
                "{name}: row f{id}"
            );
        }
    }

    // Every finding: its row with its start time, and its numbered marker.
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(page.matches("<tr id=\"f").count(), findings.len(), "{name}");
    let figs = figures(&page);
    // Every plot is a well-formed SVG document (an XML parser, not string
    // matching), an `svg` element with the chart drawn inside it.
    for (id, svg) in &figs {
        let doc = roxmltree::Document::parse(svg)
            .unwrap_or_else(|e| panic!("{name}: figure {id}: not well-formed SVG: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{name}: figure {id}");
        let drawn = root
            .descendants()
            .filter(|n| {
                matches!(
                    n.tag_name().name(),
                    "polyline" | "path" | "rect" | "circle" | "line" | "polygon"
                )
            })
            .count();
        assert!(drawn >= 5, "{name}: figure {id}: {drawn} shapes");
    }
    let marks = &figs
        .iter()
        .find(|(id, _)| id == "plot-findings")
        .expect("the findings plot")
        .1;
    for (n, f) in findings.iter().enumerate() {
        let start = clock(f["start"].as_f64().unwrap());
        let row = page
            .split(&format!("<tr id=\"f{}\">", n + 1))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap();
        assert!(row.contains(&start), "{name}: finding {} at {start}", n + 1);
        assert!(
            row.contains(&f["kind"].as_str().unwrap().to_string()),
            "{name}: {row}"
        );
        let fig = page.split("id=\"plot-findings\"").nth(1).unwrap();
        let fig = fig.split("</figure>").next().unwrap();
        assert!(
            fig.contains(&format!("<a href=\"#f{}\">", n + 1)),
            "{name}: marker {} links to its row",
            n + 1
        );
        assert!(
            texts(marks).contains(&(n + 1).to_string()),
            "{name}: marker {}",
            n + 1
        );
    }
    // Marker shapes by severity: critical ▲ (vermillion polygons), warning ●.
    let sev = |s: &str| findings.iter().filter(|f| f["severity"] == s).count();
    assert_eq!(
        count(marks, "polygon", "fill=\"#D55E00\""),
        sev("critical"),
        "{name}"
    );
    assert_eq!(
        count(marks, "circle", "stroke=\"#0072B2\""),
        sev("warning"),
        "{name}"
    );

    // One figure per plot: findings, membership, token, one per direction,
    // the path MTU when any was acknowledged, a heatmap per link.
    let dirs: BTreeSet<(String, String, u64)> = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let end = |n: &str, a: &str| {
                l[n].as_u64()
                    .map_or_else(|| l[a].as_str().unwrap().to_string(), |v| v.to_string())
            };
            (
                end("src_node", "src_addr"),
                end("dst_node", "dst_addr"),
                l["link"].as_u64().unwrap(),
            )
        })
        .collect();
    let pmtu = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| !l["pmtu"].is_null());
    let rtt: Vec<&(String, String)> = figs
        .iter()
        .filter(|(id, _)| id.starts_with("rtt-"))
        .collect();
    assert_eq!(rtt.len(), dirs.len(), "{name}: one RTT plot per direction");
    // A node × node heatmap per link: a cell per measured direction,
    // printing its p99 RTT and its loss.
    let links: BTreeSet<u64> = dirs.iter().map(|d| d.2).collect();
    for l in json["links"].as_array().unwrap() {
        let id = format!("heatmap-{}", l["link"]);
        let (_, svg) = figs
            .iter()
            .find(|(i, _)| *i == id)
            .unwrap_or_else(|| panic!("{name}: no {id}"));
        let loss = format!("{:.1}", l["loss_pct"].as_f64().unwrap());
        assert!(texts(svg).contains(&loss), "{name} {id}: loss {loss}");
    }
    // Several captures: their clocks, and one plot per direction the
    // captures matched packets of; one capture: neither.
    let several = names.len() > 1;
    let one_way = json["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["one_way"]["matched"].as_u64().is_some_and(|m| m > 0))
        .count();
    let pairs = json["clock_pairs"].as_array().map_or(0, Vec::len);
    let clocks = figs.iter().find(|(i, _)| i == "plot-clocks");
    assert_eq!(clocks.is_some(), several && pairs > 0, "{name}: clock plot");
    if let Some((_, svg)) = clocks {
        // A line per pair of captures, and the zero line.
        assert_eq!(count(svg, "polyline", "stroke=\"#222222\""), 1, "{name}");
        // Pair k in the k-th Okabe–Ito colour (and its own marker shape).
        let palette = [
            "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
        ];
        for (k, c) in palette.iter().enumerate().take(pairs) {
            let stroke = format!("stroke=\"{c}\"");
            assert_eq!(count(svg, "polyline", &stroke), 1, "{name}: pair {k}");
        }
    }
    let oneway: Vec<&(String, String)> = figs
        .iter()
        .filter(|(id, _)| id.starts_with("oneway-"))
        .collect();
    assert_eq!(oneway.len(), if several { one_way } else { 0 }, "{name}");
    for (id, svg) in &oneway {
        assert!(
            count(svg, "polyline", "stroke=\"#0072B2\"") >= 1,
            "{name} {id}: a p50 line"
        );
    }
    assert_eq!(
        figs.len(),
        3 + dirs.len()
            + usize::from(pmtu)
            + links.len()
            + usize::from(clocks.is_some())
            + oneway.len(),
        "{name}: {:?}",
        figs.iter().map(|f| &f.0).collect::<Vec<_>>()
    );

    // Every link on the page (the findings' markers in their plot, the
    // incidents' findings) goes to an element of the page: nothing dangles.
    let ids: BTreeSet<&str> = page
        .split(" id=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    let hrefs: Vec<&str> = page
        .split("href=\"#")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    assert!(!hrefs.is_empty() || findings.is_empty(), "{name}");
    for h in &hrefs {
        assert!(ids.contains(h), "{name}: link to #{h} goes nowhere");
    }
    // Inside the findings plot, each marker is a link to its row.
    let doc = roxmltree::Document::parse(marks).expect("the findings plot");
    let anchors: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "a")
        .filter_map(|n| n.attribute("href").map(str::to_string))
        .collect();
    let want: Vec<String> = (1..=findings.len()).map(|n| format!("#f{n}")).collect();
    assert_eq!(anchors, want, "{name}: marker links");

    // Each finding's and incident's frames: for one capture, checked
    // against the frame numbers `decode --json` gives its packets.
    let cells = |row_id: &str| -> String {
        let row = page
            .split(&format!("<tr id=\"{row_id}\">"))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("{name}: row {row_id}"));
        let last = row.rsplit("<td>").next().unwrap();
        unescape(last.trim_end_matches("</td>"))
    };
    let frames_of = |cell: &str| -> (u64, u64) {
        let nums: Vec<u64> = cell
            .split('#')
            .skip(1)
            .map(|p| {
                p.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: frames {cell:?}"))
            })
            .collect();
        match nums[..] {
            [a] => (a, a),
            [a, b] => (a, b),
            _ => panic!("{name}: frames {cell:?}"),
        }
    };
    let spans: Vec<(String, f64, f64)> = findings
        .iter()
        .enumerate()
        .map(|(n, f)| (format!("f{}", n + 1), f))
        .chain(
            incidents
                .iter()
                .enumerate()
                .map(|(n, i)| (format!("i{}", n + 1), i)),
        )
        .map(|(id, x)| {
            let start = x["start"].as_f64().unwrap();
            let end = x["end"].as_f64().unwrap_or(f64::MAX);
            (id, start, end)
        })
        .collect();
    if several {
        // Per capture, after its file's name: `name.pcap #a–#b; …`.
        for (id, _, _) in &spans {
            let cell = cells(id);
            if cell == "-" {
                continue;
            }
            for part in cell.split("; ") {
                let (file, range) = part
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("{name} {id}: {cell}"));
                assert!(names.contains(&file), "{name} {id}: {file} in {cell}");
                let (a, b) = frames_of(range);
                assert!(a <= b, "{name} {id}: {cell}");
            }
        }
    } else {
        let (_, decoded) = corowire(&[&["decode", "--json"], &files[..]].concat());
        let packets: Vec<(u64, f64)> = decoded
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| (v["n"].as_u64().unwrap(), v["ts"].as_f64().unwrap()))
            .collect();
        for (id, start, end) in &spans {
            let (a, b) = frames_of(&cells(id));
            assert!(a <= b, "{name} {id}: {a}..{b}");
            for (n, ts) in &packets {
                let inside = *n >= a && *n <= b;
                if *n < a {
                    assert!(*ts < start + 1e-6, "{name} {id}: frame {n} before {a}");
                } else if inside {
                    assert!(
                        *ts > start - 1e-6 && *ts < end + 1e-6,
                        "{name} {id}: frame {n} at {ts} outside {start}..{end}"
                    );
                } else {
                    assert!(*ts > end - 1e-6, "{name} {id}: frame {n} after {b}");
                }
            }
        }
    }

    // The membership: rings at the same time in lanes of their own, and
    // every partition said in words above them and under the plot.
    let attr = |k: &str| -> usize {
        page.split("id=\"plot-membership\"")
            .nth(1)
            .and_then(|r| r.split(&format!("{k}=\"")).nth(1))
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {k}"))
    };
    let (lanes, parts) = (attr("data-lanes"), attr("data-partitions"));
    assert!(lanes >= 1 && (parts == 0 || lanes >= 2), "{name}");
    assert_eq!(
        page.matches("<p class=\"marks partition\">PARTITION ")
            .count(),
        parts,
        "{name}"
    );

    // The RTT line is the median of each second, not the mean.
    assert!(
        page.contains("p50 (median per second)") && !page.contains("></span>mean</span>"),
        "{name}"
    );
    assert_eq!(
        page.matches("<svg").count(),
        figs.len(),
        "{name}: one svg per plot"
    );
    for (src, dst, link) in &dirs {
        let id = format!("rtt-{src}-{dst}-{link}");
        let (_, svg) = figs
            .iter()
            .find(|(i, _)| *i == id)
            .unwrap_or_else(|| panic!("{name}: no {id}"));
        // Per run of seconds with pongs: a mean line, a p99 line, a band.
        let mean = count(svg, "polyline", "stroke=\"#0072B2\"");
        assert!(mean >= 1, "{name} {id}: a mean line");
        assert_eq!(
            count(svg, "polyline", "stroke=\"#E69F00\""),
            mean,
            "{name} {id}: p99"
        );
        assert_eq!(
            count(svg, "polygon", "fill=\"#56B4E9\""),
            mean,
            "{name} {id}: band"
        );
        assert_eq!(
            count(svg, "polyline", "stroke=\"#222222\""),
            1,
            "{name} {id}: timeout"
        );
    }
    let token = &figs.iter().find(|(i, _)| i == "plot-token").unwrap().1;
    assert!(
        count(token, "polyline", "stroke=\"#0072B2\"") >= 1,
        "{name}: rotation"
    );
    assert_eq!(
        count(token, "polyline", "stroke=\"#222222\""),
        2,
        "{name}: token_warning and token timeout"
    );
    // The membership: one band per ring, labelled with its id.
    let rings = json["membership"].as_array().unwrap();
    let bands = &figs.iter().find(|(i, _)| i == "plot-membership").unwrap().1;
    assert_eq!(
        count(bands, "rect", "stroke=\"#000000\""),
        rings.len(),
        "{name}"
    );
    for r in rings {
        let id = r["ring_id"].as_str().unwrap();
        assert!(
            texts(bands)
                .iter()
                .any(|t| t.starts_with(&format!("{id} ["))),
            "{name}: ring {id}"
        );
    }
    let len = page.len();
    (page, len)
}

/// The membership figure's SVG and the texts it shows.
fn membership_texts(page: &str) -> Vec<String> {
    let (_, svg) = figures(page)
        .into_iter()
        .find(|(i, _)| i == "plot-membership")
        .expect("the membership plot");
    texts(&svg)
}

/// Node 3 cut off: rings 1.11 (nodes 1 and 2) and 3.11 (node 3 alone,
/// first seen when the link came back; its members were seen leaving
/// when 1.11 formed, in the same round) existed at once: two lanes, and
/// the partition said in words from 1.11's first token to 1.15's.
#[test]
fn cut_and_rejoin_page_says_what_the_reports_say() {
    let (page, size) = check_page(&["membership-3n-node3-cut-rejoin.pcap"]);
    assert!(size < 400_000, "{size} bytes");
    assert!(
        page.contains("id=\"plot-membership\" data-lanes=\"2\" data-partitions=\"1\""),
        "two lanes, one partition"
    );
    let t = membership_texts(&page);
    assert!(
        t.iter()
            .any(|x| x == "PARTITION: 2 rings at once (1.11 [1 2] | 3.11 [3])"),
        "{t:?}"
    );
    assert!(t.iter().any(|x| x == "3.11 formed unseen"), "{t:?}");
    assert!(
        page.contains(
            "PARTITION 03:26:18.370 to 03:26:33.700 (15.3 s): 2 rings at once: 1.11 [1 2], \
             3.11 [3]"
        ),
        "the partition in words"
    );
    // The incident's evidence: the frames of its span.
    let row = page.split("<tr id=\"i1\">").nth(1).unwrap();
    let row = row.split("</tr>").next().unwrap();
    assert!(row.ends_with("<td>#992–#2274</td>"), "{row}");
}

#[test]
fn host_stall_page_says_what_the_reports_say() {
    let size = check(&["pause-3n-node2-sigstop8s.pcap"]);
    assert!(size < 400_000, "{size} bytes");
}

#[test]
fn healthy_two_link_page_says_what_the_reports_say() {
    let (page, size) = check_page(&["healthy-5n-2l.pcap"]);
    assert!(size < 1_000_000, "{size} bytes");
    // One ring at a time: one lane, no partition.
    assert!(page.contains("data-lanes=\"1\" data-partitions=\"0\""));
    assert!(
        !membership_texts(&page)
            .iter()
            .any(|t| t.contains("PARTITION"))
    );
}

#[test]
fn per_node_captures_page_says_what_the_reports_say() {
    let size = check(&[
        "pernode-3n-node2-oneway-delay-loss.vantage-node1.pcap",
        "pernode-3n-node2-oneway-delay-loss.vantage-node2.pcap",
        "pernode-3n-node2-oneway-delay-loss.vantage-node3.pcap",
    ]);
    assert!(size < 400_000, "{size} bytes");
}

/// A healthy 51 s capture repeated back to back for an hour (a classic
/// pcap: records shifted by the span each time): the page stays small,
/// its series binned to at most 480 points.
#[test]
fn an_hour_of_capture_stays_small() {
    let src = std::fs::read(capture("healthy-3n-clear.pcap")).unwrap();
    assert_eq!(
        &src[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian µs pcap"
    );
    let mut recs: Vec<(u32, &[u8])> = Vec::new();
    let mut at = 24;
    while at + 16 <= src.len() {
        let sec = u32::from_le_bytes(src[at..at + 4].try_into().unwrap());
        let incl = u32::from_le_bytes(src[at + 8..at + 12].try_into().unwrap()) as usize;
        recs.push((sec, &src[at..at + 16 + incl]));
        at += 16 + incl;
    }
    let span = recs.last().unwrap().0 - recs[0].0 + 1;
    let copies = 3600u32.div_ceil(span);
    let mut out = src[..24].to_vec();
    for k in 0..copies {
        for (sec, rec) in &recs {
            out.extend_from_slice(&(sec + k * span).to_le_bytes());
            out.extend_from_slice(&rec[4..]);
        }
    }
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hour.pcap");
    std::fs::write(&path, &out).unwrap();
    let (_, page) = html(std::slice::from_ref(&path), "hour");
    let _ = std::fs::remove_file(&path);
    eprintln!("an hour ({copies} × {span} s): {} bytes", page.len());
    assert!(page.len() < 1_500_000, "{} bytes", page.len());
    assert!(page.contains("one point per 8 s"), "binned");
    for (id, svg) in figures(&page).iter().filter(|(i, _)| i.starts_with("rtt-")) {
        let pts: usize = svg
            .split("<polyline ")
            .skip(1)
            .filter(|p| p.contains("stroke=\"#0072B2\""))
            .map(|p| {
                p.split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .map(|p| p.split_whitespace().count())
            .sum();
        assert!(pts <= 480, "{id}: {pts} points");
    }
}

/// `-o FILE` writes the text report too: the same bytes as stdout, and the
/// same exit status.
#[test]
fn output_file_holds_the_text_report() {
    let pcap = capture("pause-3n-node2-sigstop8s.pcap");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pause.txt");
    let (code, stdout) = corowire(&[
        "report",
        "-o",
        out.to_str().unwrap(),
        pcap.to_str().unwrap(),
    ]);
    let (text_code, text) = corowire(&["report", pcap.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (text_code, ""));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
    let _ = std::fs::remove_file(&out);
}

/// The path MTU drop to 1200 on node 3's paths: the PMTU plot is drawn,
/// with its PMTUD probes answered and not.
#[test]
fn mtu_drop_page_plots_the_path_mtu() {
    let size = check(&["mtu-3n-node3-1200.pcap"]);
    assert!(size < 400_000, "{size} bytes");
    let (_, page) = html(&[capture("mtu-3n-node3-1200.pcap")], "mtu");
    let fig = page
        .split("id=\"plot-pmtu\"")
        .nth(1)
        .expect("the PMTU plot");
    let fig = fig.split("</figure>").next().unwrap();
    assert!(fig.contains("probes answered"), "{fig}");
    let svg = fig.split_once("<svg").unwrap().1;
    let labels = texts(svg);
    assert!(labels.iter().any(|t| t == "1200"), "{labels:?}");
}
