//! End to end: the real binary in a real terminal (tmux), replaying a
//! committed fault capture as fast as possible; the screen is read back with
//! `tmux capture-pane` and checked against the capture's truth file.
//! Skips (saying why) only when tmux is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// A private tmux server running `cmd` in a 100×30 pane that stays
    /// after the program exits (so its exit status and screen can be read).
    fn start(tag: &str, cmd: &str) -> Tmux {
        let t = Tmux {
            socket: format!("corowire-test-{}-{tag}", std::process::id()),
            session: "cw".into(),
        };
        let ok = Command::new("tmux")
            .args(["-L", &t.socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-s", &t.session, "-x", "100", "-y", "30"])
            .arg(format!("sleep 0.3; {cmd}"))
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .status()
            .expect("tmux new-session");
        assert!(ok.success());
        t.tmux(&["set-option", "-t", "cw", "remain-on-exit", "on"]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "cw"])
    }

    /// The screen and the scrollback above it.
    fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-200", "-t", "cw"])
    }

    /// The pid of corowire: the only child of the pane's shell.
    fn child_pid(&self) -> String {
        let shell = self.tmux(&["display-message", "-p", "-t", "cw", "#{pane_pid}"]);
        let out = Command::new("pgrep")
            .args(["-P", shell.trim()])
            .output()
            .expect("pgrep");
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(!pid.is_empty() && !pid.contains('\n'), "children: {pid:?}");
        pid
    }

    /// The terminal is usable again after corowire ended: tmux is off the
    /// alternate screen with the cursor shown, and the `stty -a` the pane's
    /// shell ran afterwards (see [`then_stty`]) shows canonical mode and echo.
    fn assert_restored(&self) {
        let s = self.wait_for("STTY-END", 10);
        let flags = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            "cw",
            "#{alternate_on} #{cursor_flag}",
        ]);
        assert_eq!(
            flags.trim(),
            "0 1",
            "alternate screen, cursor: {flags}\n{s}"
        );
        let h = self.history();
        let stty = h
            .split("STTY-BEGIN")
            .nth(1)
            .and_then(|x| x.split("STTY-END").next())
            .unwrap_or_else(|| panic!("no stty output:\n{h}"));
        let words: Vec<&str> = stty.split_whitespace().collect();
        for w in ["icanon", "echo", "isig", "icrnl", "opost"] {
            assert!(words.contains(&w), "terminal still raw ({w} off):\n{stty}");
        }
        assert!(
            !s.contains("ping>resp"),
            "corowire's screen still shown:\n{s}"
        );
    }

    fn keys(&self, k: &str) {
        self.tmux(&["send-keys", "-t", "cw", k]);
    }

    fn wait_for(&self, what: &str, secs: u64) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if t0.elapsed() > Duration::from_secs(secs) {
                panic!("'{what}' did not appear within {secs} s; screen:\n{s}");
            }
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn truth(name: &str) -> serde_json::Value {
    let p = root().join("captures").join(name);
    serde_json::from_slice(&std::fs::read(p).expect("truth file")).expect("truth json")
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_corowire")
}

fn quoted(p: &Path) -> String {
    format!("'{}'", p.display())
}

/// What the pane's shell runs after corowire: its exit status, then the
/// terminal's settings (read back by [`Tmux::assert_restored`]).
fn then_stty() -> &'static str {
    "echo EXIT:$?; echo STTY-BEGIN; stty -a; echo STTY-END; sleep 60"
}

#[test]
fn replay_of_a_cut_shows_the_link_and_the_membership_loss() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return;
    }
    let cap = "membership-3n-node3-cut-rejoin";
    let t = truth(&format!("{cap}.truth.json"));
    let pcap = root().join("captures").join(format!("{cap}.pcap"));
    let tm = Tmux::start(
        "cut",
        &format!(
            "{} tui {} --speed max; echo EXIT:$?; sleep 60",
            bin(),
            quoted(&pcap)
        ),
    );
    let s = tm.wait_for("END", 30);

    // Every faulted node's links to the others appear, flagged against the budgets.
    for f in t["faults"].as_array().expect("faults") {
        let node = f["node"].as_u64().expect("fault node");
        let link = f["link"].as_u64().expect("fault link");
        let pair = format!("n1>n{node}");
        let row = s
            .lines()
            .flat_map(|l| l.split('│'))
            .find(|l| {
                let mut w = l.split_whitespace();
                w.next() == Some(pair.as_str()) && w.next() == Some(link.to_string().as_str())
            })
            .unwrap_or_else(|| panic!("no row n1>n{node} link {link}:\n{s}"));
        assert!(
            row.contains('*') || row.contains('!'),
            "row not flagged: {row}"
        );
    }
    // The membership the truth says was formed without the cut node.
    let node = t["faults"][0]["node"].as_u64().expect("node");
    let lost = t["log_events"]
        .as_array()
        .expect("log events")
        .iter()
        .filter(|e| e["kind"] == "membership" && e["in_capture"] == true)
        .filter_map(|e| e["text"].as_str())
        .find(|x| x.contains("Members left"))
        .map(str::to_string);
    if let Some(line) = &lost {
        // "A new membership (1.11) was formed. Members left: 3"
        let ring = line
            .split(['(', ')'])
            .nth(1)
            .expect("ring id in the log line");
        let finding = s
            .lines()
            .find(|l| l.contains(&format!("({ring})")) && l.contains("CRIT"))
            .unwrap_or_else(|| panic!("no finding for ring {ring} (log: {line}):\n{s}"));
        assert!(finding.contains(&format!("left: {node}")), "{finding}");
    } else {
        panic!("the truth file has no 'Members left' line");
    }
    assert!(s.contains("CRIT"), "{s}");

    // Help, detail and quit through the real key path.
    tm.keys("?");
    tm.wait_for(" keys ", 5);
    tm.keys("Escape");
    // Esc and Enter arriving together read as Alt-Enter: wait in between.
    let t0 = Instant::now();
    while tm.screen().contains(" keys ") && t0.elapsed() < Duration::from_secs(5) {
        sleep(Duration::from_millis(100));
    }
    tm.keys("Enter");
    tm.wait_for("detail n1>n2 link 0 (Up/Down", 5);
    tm.keys("q");
    tm.wait_for("EXIT:0", 10);
    // The alternate screen is gone: the terminal is back to normal.
    let after = tm.screen();
    assert!(
        !after.contains("ping>resp"),
        "screen not restored:\n{after}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return;
    }
    let pcap = root().join("captures").join("healthy-3n-clear.pcap");
    let tm = Tmux::start(
        "term",
        &format!("{} tui {} --speed 1; {}", bin(), quoted(&pcap), then_stty()),
    );
    tm.wait_for("ping>resp", 20);
    let pid = tm.child_pid();
    let ok = Command::new("kill")
        .args(["-TERM", pid.as_str()])
        .status()
        .expect("kill");
    assert!(ok.success());
    tm.wait_for("EXIT:143", 10);
    tm.assert_restored();
}

#[test]
fn ctrl_c_restores_the_terminal() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return;
    }
    let pcap = root().join("captures").join("healthy-3n-clear.pcap");
    let tm = Tmux::start(
        "ctrlc",
        &format!("{} tui {} --speed 1; {}", bin(), quoted(&pcap), then_stty()),
    );
    tm.wait_for("ping>resp", 20);
    // In raw mode Ctrl-C is a key, not SIGINT: corowire quits on it.
    tm.keys("C-c");
    tm.wait_for("EXIT:0", 10);
    tm.assert_restored();
}

#[test]
fn a_panic_restores_the_terminal() {
    if !Tmux::available() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return;
    }
    let pcap = root().join("captures").join("healthy-3n-clear.pcap");
    let tm = Tmux::start(
        "panic",
        &format!(
            "{}=1 {} tui {} --speed 1; {}",
            corowire::tui::run::TEST_PANIC_ENV,
            bin(),
            quoted(&pcap),
            then_stty()
        ),
    );
    // The UI is up in raw mode on the alternate screen before it panics.
    tm.wait_for("ping>resp", 20);
    tm.wait_for("EXIT:101", 20);
    tm.assert_restored();
    let h = tm.history();
    assert!(h.contains("deliberate panic in the UI loop"), "{h}");
}
