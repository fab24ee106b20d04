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
    assert_eq!(
        figs.len(),
        3 + dirs.len() + usize::from(pmtu) + links.len(),
        "{name}: {:?}",
        figs.iter().map(|f| &f.0).collect::<Vec<_>>()
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
    page.len()
}

#[test]
fn cut_and_rejoin_page_says_what_the_reports_say() {
    let size = check(&["membership-3n-node3-cut-rejoin.pcap"]);
    assert!(size < 400_000, "{size} bytes");
}

#[test]
fn host_stall_page_says_what_the_reports_say() {
    let size = check(&["pause-3n-node2-sigstop8s.pcap"]);
    assert!(size < 400_000, "{size} bytes");
}

#[test]
fn healthy_two_link_page_says_what_the_reports_say() {
    let size = check(&["healthy-5n-2l.pcap"]);
    assert!(size < 1_000_000, "{size} bytes");
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
