//! The HTML report in a real browser: headless Chromium (Debian's
//! `chromium`, installed by `.ci/run`) renders the page of three corpus
//! capture sets — a healthy cluster, a cut with ring changes, one capture
//! per node — to PNG with no console error, and every plot is drawn: the
//! pixels where each figure sits are not blank.
//!
//! Skipped (with a line saying so) where Chromium is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|c| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {c}")])
            .output()
            .ok()?;
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!p.is_empty()).then(|| PathBuf::from(p))
    })
}

/// Removes the test's folder whether the test passes or panics.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A decoded PNG: width, height, RGBA8 pixels.
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("the screenshot");
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

/// Share of the pixels in rows `y0..y1` that are not (near) white.
fn ink(png: &(u32, u32, Vec<u8>), y0: u32, y1: u32) -> f64 {
    let (w, h, px) = png;
    let (y0, y1) = (y0.min(*h), y1.min(*h));
    if y1 <= y0 {
        return 0.0;
    }
    let mut inked = 0u64;
    for y in y0..y1 {
        for x in 0..*w {
            let i = ((y * w + x) * 4) as usize;
            if px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200 {
                inked += 1;
            }
        }
    }
    inked as f64 / (f64::from(y1 - y0) * f64::from(*w))
}

/// Renders the page of `pcaps` and checks it; returns the page's figure
/// count.
fn render(chrome: &Path, dir: &Path, name: &str, pcaps: &[&str]) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = dir.join(format!("{name}.html"));
    let mut args = vec![
        "report".to_string(),
        "--format".into(),
        "html".into(),
        "-o".into(),
        page.display().to_string(),
    ];
    args.extend(
        pcaps
            .iter()
            .map(|p| root.join("captures").join(p).display().to_string()),
    );
    let st = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(&args)
        .status()
        .expect("run corowire");
    assert!(st.code().is_some_and(|c| c != 1), "{name}: {st:?}");
    let html = std::fs::read_to_string(&page).expect("the page");
    let figures = html.matches("<figure").count();
    assert!(figures >= 3, "{name}: {figures} figures");

    // Tall enough for the whole page: one screenshot holds every figure.
    let shot = dir.join(format!("{name}.png"));
    let profile = dir.join(format!("{name}-profile"));
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1400,9000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let log = String::from_utf8_lossy(&out.stderr);
    // The page's own console: Chromium logs it as CONSOLE lines.
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect();
    assert!(console.is_empty(), "{name}: console errors {console:?}");
    assert!(
        shot.exists(),
        "{name}: no screenshot; chromium said:\n{log}"
    );
    let png = decode_png(&shot);
    assert!(
        png.0 >= 1000 && png.1 >= 2000,
        "{name}: {}x{}",
        png.0,
        png.1
    );
    // The page is drawn, not blank: ink over the whole of it, and in every
    // band of 400 rows down to the last figure's end (the page's own
    // height, found as the last inked row).
    let last = (0..png.1)
        .rev()
        .find(|&y| ink(&png, y, y + 1) > 0.0)
        .unwrap_or(0);
    assert!(ink(&png, 0, png.1) > 0.01, "{name}: the page is blank");
    let mut y = 0;
    while y + 400 <= last {
        let share = ink(&png, y, y + 400);
        assert!(
            share > 0.002,
            "{name}: rows {y}..{} blank ({share})",
            y + 400
        );
        y += 400;
    }
    figures
}

#[test]
fn three_pages_render_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        eprintln!("SKIPPED: chromium is not installed (.ci/run installs it)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("corowire-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let _cleanup = RemoveOnDrop(dir.clone());
    let mut figures = 0;
    figures += render(&chrome, &dir, "healthy", &["healthy-3n-clear.pcap"]);
    figures += render(
        &chrome,
        &dir,
        "cut",
        &["membership-3n-node3-cut-rejoin.pcap"],
    );
    figures += render(
        &chrome,
        &dir,
        "pernode",
        &[
            "pernode-3n-node2-oneway-delay-loss.vantage-node1.pcap",
            "pernode-3n-node2-oneway-delay-loss.vantage-node2.pcap",
            "pernode-3n-node2-oneway-delay-loss.vantage-node3.pcap",
        ],
    );
    assert!(figures >= 9, "{figures}");
}
