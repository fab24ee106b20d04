//! corosync.conf: a line-oriented format of nested `name { ... }` sections
//! holding `key: value` entries; `#` starts a comment line. Sections may
//! repeat (`node {}` in `nodelist`, `interface {}` in `totem`).
//!
//! [`parse_corosync_conf`] gives the generic [`ConfTree`] and the typed
//! [`ClusterConfig`]. Unknown keys are kept in the tree and ignored by the
//! typed view, as corosync ignores keys it does not use. Values of the
//! inline `totem.key` are never shown in errors or `Debug`.

use std::fmt;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{ConfigError, ConfigErrorKind};
use crate::wire::crypto::{AuthKey, Cipher, CryptoSuite, Hash};

/// Largest corosync.conf read (a real one is a few KiB).
const MAX_CONF_LEN: u64 = 4 << 20;

/// One `key: value` line.
#[derive(Clone)]
pub struct Entry {
    pub key: String,
    /// Wiped on drop: `totem.key` holds the cluster key itself.
    pub value: Zeroizing<String>,
    /// 1-based line number.
    pub line: usize,
}

impl Entry {
    fn is_secret(&self) -> bool {
        self.key == "key"
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &str = if self.is_secret() {
            "<redacted>"
        } else {
            &self.value
        };
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("value", &value)
            .field("line", &self.line)
            .finish()
    }
}

/// A `name { ... }` section (the root section has an empty name, line 0).
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
    pub sections: Vec<Section>,
}

impl Section {
    /// The last entry named `key` (later lines override earlier ones).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// The value of the last entry named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }

    /// The first subsection named `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Every subsection named `name`, in file order.
    pub fn sections_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| s.name == name)
    }
}

/// The whole file as a tree.
#[derive(Debug, Clone, Default)]
pub struct ConfTree {
    pub root: Section,
}

impl ConfTree {
    /// Parse corosync.conf text. Errors name the 1-based line.
    pub fn parse(text: &str) -> Result<ConfTree, ConfigError> {
        let mut stack: Vec<Section> = vec![Section::default()];
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            parse_line(line, line_no, &mut stack)?;
        }
        if stack.len() > 1 {
            let open = stack.pop().unwrap_or_default();
            return Err(ConfigError::at_line(
                ConfigErrorKind::UnclosedSection { name: open.name },
                open.line,
            ));
        }
        Ok(ConfTree {
            root: stack.pop().unwrap_or_default(),
        })
    }
}

/// One non-empty, non-comment line; may hold `name {`, `}`, `key: value`,
/// and (for one-line sections) `name { key: value }`.
fn parse_line(mut line: &str, line_no: usize, stack: &mut Vec<Section>) -> Result<(), ConfigError> {
    while !line.is_empty() {
        if let Some(rest) = line.strip_prefix('}') {
            close(stack, line_no)?;
            line = rest.trim_start();
            continue;
        }
        let brace = line.find('{');
        let colon = line.find(':');
        match (brace, colon) {
            (Some(b), c) if c.is_none_or(|c| b < c) => {
                let name = line[..b].trim();
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(syntax(line, line_no));
                }
                stack.push(Section {
                    name: name.to_string(),
                    line: line_no,
                    ..Section::default()
                });
                line = line[b + 1..].trim_start();
            }
            (_, Some(c)) => {
                let key = line[..c].trim();
                if key.is_empty() || key.contains(char::is_whitespace) {
                    return Err(syntax(line, line_no));
                }
                let mut value = line[c + 1..].trim();
                // A one-line section `name { key: value }` closes here.
                let mut closes = 0;
                while let Some(v) = value.strip_suffix('}') {
                    if stack.len() - closes <= 1 {
                        break;
                    }
                    value = v.trim_end();
                    closes += 1;
                }
                let value = strip_quotes(value);
                let entry = Entry {
                    key: key.to_string(),
                    value: Zeroizing::new(value.to_string()),
                    line: line_no,
                };
                if let Some(top) = stack.last_mut() {
                    top.entries.push(entry);
                }
                for _ in 0..closes {
                    close(stack, line_no)?;
                }
                line = "";
            }
            _ => return Err(syntax(line, line_no)),
        }
    }
    Ok(())
}

fn close(stack: &mut Vec<Section>, line_no: usize) -> Result<(), ConfigError> {
    if stack.len() <= 1 {
        return Err(ConfigError::at_line(
            ConfigErrorKind::UnexpectedClose,
            line_no,
        ));
    }
    let done = stack.pop().unwrap_or_default();
    if let Some(parent) = stack.last_mut() {
        parent.sections.push(done);
    }
    Ok(())
}

fn syntax(line: &str, line_no: usize) -> ConfigError {
    // A syntax error could sit on a `key:` line whose value is the secret;
    // show only the start of the line.
    let shown: String = line.chars().take(40).collect();
    let shown = if shown.trim_start().starts_with("key") {
        "key ...".to_string()
    } else {
        shown
    };
    ConfigError::at_line(ConfigErrorKind::Syntax(shown), line_no)
}

fn strip_quotes(v: &str) -> &str {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

/// `totem.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    Knet,
    Udp,
    Udpu,
}

/// `totem.link_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    Passive,
    Active,
    Rr,
}

/// A node address: an IP literal, or a host name to be resolved elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeAddr {
    Ip(IpAddr),
    Host(String),
}

impl NodeAddr {
    fn parse(s: &str) -> NodeAddr {
        // Allow `[v6]` as some tools write it.
        let t = s.trim_start_matches('[').trim_end_matches(']');
        match t.parse::<IpAddr>() {
            Ok(ip) => NodeAddr::Ip(ip),
            Err(_) => NodeAddr::Host(s.to_string()),
        }
    }

    /// The IP address when it is a literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            NodeAddr::Ip(ip) => Some(*ip),
            NodeAddr::Host(_) => None,
        }
    }
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeAddr::Ip(ip) => write!(f, "{ip}"),
            NodeAddr::Host(h) => f.write_str(h),
        }
    }
}

/// A `nodelist.node {}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub nodeid: Option<u32>,
    pub name: Option<String>,
    /// `ringN_addr` by link number N (0..=7).
    pub addrs: [Option<NodeAddr>; 8],
    pub line: usize,
}

impl Node {
    /// Address on `link`.
    pub fn addr(&self, link: u8) -> Option<&NodeAddr> {
        self.addrs.get(usize::from(link)).and_then(Option::as_ref)
    }

    /// A display name: `name`, else `node<ID>`, else the ring0 address.
    pub fn display_name(&self) -> String {
        match (&self.name, self.nodeid, self.addr(0)) {
            (Some(n), _, _) => n.clone(),
            (None, Some(id), _) => format!("node{id}"),
            (None, None, Some(a)) => a.to_string(),
            (None, None, None) => format!("node@line{}", self.line),
        }
    }
}

/// A `totem.interface {}` (one knet link, or a corosync 2 ring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// `linknumber` (corosync 3) or `ringnumber` (corosync 2); 0 if absent.
    pub linknumber: u8,
    pub mcastport: Option<u16>,
    pub mcastaddr: Option<String>,
    pub bindnetaddr: Option<String>,
    pub knet_ping_interval: Option<u32>,
    pub knet_ping_timeout: Option<u32>,
    pub knet_pong_count: Option<u32>,
    pub knet_link_priority: Option<u32>,
    pub knet_transport: Option<String>,
    pub line: usize,
}

/// The parts of corosync.conf corowire uses. Times are in milliseconds
/// except `knet_pmtud_interval` (seconds); `None` = not in the file.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    pub file: Option<PathBuf>,
    pub cluster_name: Option<String>,
    /// `totem.transport`; `None` = not set (knet on corosync 3, udp on 2).
    pub transport: Option<TransportKind>,
    pub link_mode: Option<LinkMode>,
    pub crypto_cipher: Option<Cipher>,
    pub crypto_hash: Option<Hash>,
    pub crypto_model: Option<String>,
    pub secauth: Option<bool>,
    pub keyfile: Option<PathBuf>,
    /// `totem.key`: the key inline in the file (wiped, never shown).
    pub key: Option<AuthKey>,
    pub token: Option<u32>,
    pub token_coefficient: Option<u32>,
    pub token_retransmit: Option<u32>,
    pub token_retransmits_before_loss_const: Option<u32>,
    pub hold: Option<u32>,
    pub consensus: Option<u32>,
    /// Percent of the token timeout.
    pub token_warning: Option<u32>,
    pub join: Option<u32>,
    pub knet_ping_interval: Option<u32>,
    pub knet_ping_timeout: Option<u32>,
    pub knet_pong_count: Option<u32>,
    /// Seconds.
    pub knet_pmtud_interval: Option<u32>,
    pub knet_mtu: Option<u32>,
    pub netmtu: Option<u32>,
    pub interfaces: Vec<Interface>,
    pub nodelist: Vec<Node>,
}

impl ClusterConfig {
    /// Build the typed view from a parsed tree.
    pub fn from_tree(tree: &ConfTree) -> Result<ClusterConfig, ConfigError> {
        let mut c = ClusterConfig::default();
        let root = &tree.root;
        let totem = root.section("totem");
        if let Some(t) = totem {
            c.cluster_name = t.get("cluster_name").map(str::to_string);
            c.transport = opt(t, "transport", "knet, udp or udpu", |v| match v {
                "knet" => Some(TransportKind::Knet),
                "udp" => Some(TransportKind::Udp),
                "udpu" => Some(TransportKind::Udpu),
                _ => None,
            })?;
            c.link_mode = opt(t, "link_mode", "passive, active or rr", |v| match v {
                "passive" => Some(LinkMode::Passive),
                "active" => Some(LinkMode::Active),
                "rr" => Some(LinkMode::Rr),
                _ => None,
            })?;
            c.crypto_cipher = opt(t, "crypto_cipher", "none, aes128, aes192 or aes256", |v| {
                v.parse().ok()
            })?;
            c.crypto_hash = opt(
                t,
                "crypto_hash",
                "none, md5, sha1, sha256, sha384 or sha512",
                |v| v.parse().ok(),
            )?;
            c.crypto_model = t.get("crypto_model").map(str::to_string);
            c.secauth = opt(t, "secauth", "on or off", parse_bool)?;
            c.keyfile = t.get("keyfile").map(PathBuf::from);
            if let Some(e) = t.entry("key") {
                let key = AuthKey::from_bytes(e.value.as_bytes())
                    .map_err(|k| ConfigError::at_line(ConfigErrorKind::Key(k), e.line))?;
                c.key = Some(key);
            }
            c.token = num(t, "token")?;
            c.token_coefficient = num(t, "token_coefficient")?;
            c.token_retransmit = num(t, "token_retransmit")?;
            c.token_retransmits_before_loss_const = num(t, "token_retransmits_before_loss_const")?;
            c.hold = num(t, "hold")?;
            c.consensus = num(t, "consensus")?;
            c.token_warning = num(t, "token_warning")?;
            c.join = num(t, "join")?;
            c.knet_ping_interval = num(t, "knet_ping_interval")?;
            c.knet_ping_timeout = num(t, "knet_ping_timeout")?;
            c.knet_pong_count = num(t, "knet_pong_count")?;
            c.knet_pmtud_interval = num(t, "knet_pmtud_interval")?;
            c.knet_mtu = num(t, "knet_mtu")?;
            c.netmtu = num(t, "netmtu")?;
            for s in t.sections_named("interface") {
                c.interfaces.push(interface(s)?);
            }
        }
        if c.cluster_name.is_none() {
            // Some tools put cluster_name elsewhere; accept totem's only,
            // but fall back to a top-level key if present.
            c.cluster_name = root.get("cluster_name").map(str::to_string);
        }
        if let Some(nl) = root.section("nodelist") {
            for s in nl.sections_named("node") {
                c.nodelist.push(node(s)?);
            }
        }
        Ok(c)
    }

    /// The transport corosync 3 would use.
    pub fn transport_or_default(&self) -> TransportKind {
        self.transport.unwrap_or(TransportKind::Knet)
    }

    /// The cipher/hash corosync 3 would configure: explicit
    /// `crypto_cipher`/`crypto_hash` win; otherwise `secauth: on` means
    /// aes256/sha256; otherwise none/none. Err if the pair is refused.
    pub fn crypto_suite(&self) -> Result<CryptoSuite, ConfigError> {
        self.crypto_suite_with(CryptoSuite::AES256_SHA256)
    }

    /// As [`crypto_suite`](Self::crypto_suite) for corosync 2, whose
    /// `secauth: on` default is aes256/sha1.
    pub fn crypto_suite_corosync2(&self) -> Result<CryptoSuite, ConfigError> {
        self.crypto_suite_with(CryptoSuite::AES256_SHA1)
    }

    fn crypto_suite_with(&self, secauth_default: CryptoSuite) -> Result<CryptoSuite, ConfigError> {
        let base = if self.secauth == Some(true) {
            secauth_default
        } else {
            CryptoSuite::CLEARTEXT
        };
        let suite = CryptoSuite::new(
            self.crypto_cipher.unwrap_or(base.cipher),
            self.crypto_hash.unwrap_or(base.hash),
        );
        suite.validate().map_err(|e| {
            let mut err = ConfigError::new(ConfigErrorKind::Suite(e));
            err.file.clone_from(&self.file);
            err
        })?;
        Ok(suite)
    }

    /// UDP port of knet link `link`: its interface's `mcastport`, else 5405 + link.
    pub fn link_port(&self, link: u8) -> u16 {
        self.interface(link)
            .and_then(|i| i.mcastport)
            .unwrap_or(5405 + u16::from(link))
    }

    /// The interface section for `link`, if any.
    pub fn interface(&self, link: u8) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.linknumber == link)
    }

    /// The node with this nodeid.
    pub fn node_by_id(&self, nodeid: u32) -> Option<&Node> {
        self.nodelist.iter().find(|n| n.nodeid == Some(nodeid))
    }

    /// The node and link number owning an IP address.
    pub fn node_by_addr(&self, ip: IpAddr) -> Option<(&Node, u8)> {
        self.nodelist.iter().find_map(|n| {
            n.addrs
                .iter()
                .position(|a| a.as_ref().and_then(NodeAddr::ip) == Some(ip))
                .map(|l| (n, l as u8))
        })
    }

    /// Node count as corosync counts it for `token_coefficient`.
    pub fn node_count(&self) -> usize {
        self.nodelist.len()
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn bad(e: &Entry, expected: &'static str) -> ConfigError {
    let value = if e.is_secret() {
        String::new()
    } else {
        e.value.chars().take(64).collect()
    };
    ConfigError::at_line(
        ConfigErrorKind::BadValue {
            key: e.key.clone(),
            value,
            expected,
        },
        e.line,
    )
}

fn opt<T>(
    s: &Section,
    key: &str,
    expected: &'static str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ConfigError> {
    match s.entry(key) {
        None => Ok(None),
        Some(e) => f(e.value.trim()).map(Some).ok_or_else(|| bad(e, expected)),
    }
}

fn num<T: std::str::FromStr>(s: &Section, key: &str) -> Result<Option<T>, ConfigError> {
    opt(s, key, "a non-negative integer", |v| v.parse().ok())
}

fn interface(s: &Section) -> Result<Interface, ConfigError> {
    let link: Option<u8> = match s.entry("linknumber").or_else(|| s.entry("ringnumber")) {
        None => None,
        Some(e) => Some(
            e.value
                .trim()
                .parse()
                .ok()
                .filter(|&n: &u8| n <= 7)
                .ok_or_else(|| bad(e, "a link number 0..7"))?,
        ),
    };
    Ok(Interface {
        linknumber: link.unwrap_or(0),
        mcastport: num(s, "mcastport")?,
        mcastaddr: s.get("mcastaddr").map(str::to_string),
        bindnetaddr: s.get("bindnetaddr").map(str::to_string),
        knet_ping_interval: num(s, "knet_ping_interval")?,
        knet_ping_timeout: num(s, "knet_ping_timeout")?,
        knet_pong_count: num(s, "knet_pong_count")?,
        knet_link_priority: num(s, "knet_link_priority")?,
        knet_transport: s.get("knet_transport").map(str::to_string),
        line: s.line,
    })
}

fn node(s: &Section) -> Result<Node, ConfigError> {
    let mut addrs: [Option<NodeAddr>; 8] = Default::default();
    for (i, slot) in addrs.iter_mut().enumerate() {
        if let Some(v) = s.get(&format!("ring{i}_addr")) {
            *slot = Some(NodeAddr::parse(v.trim()));
        }
    }
    Ok(Node {
        nodeid: num(s, "nodeid")?,
        name: s.get("name").map(str::to_string),
        addrs,
        line: s.line,
    })
}

/// Parse corosync.conf text into its tree and typed view.
pub fn parse_corosync_conf(text: &str) -> Result<(ConfTree, ClusterConfig), ConfigError> {
    let tree = ConfTree::parse(text)?;
    let cfg = ClusterConfig::from_tree(&tree)?;
    Ok((tree, cfg))
}

/// Read and parse a corosync.conf file; errors name the file and line.
pub fn load_corosync_conf(path: &Path) -> Result<ClusterConfig, ConfigError> {
    let (file, meta) = super::open_regular(path)?;
    let too_large = |size: u64| {
        ConfigError::new(ConfigErrorKind::TooLarge {
            size,
            limit: MAX_CONF_LEN,
        })
        .in_file(path)
    };
    if meta.len() > MAX_CONF_LEN {
        return Err(too_large(meta.len()));
    }
    let mut text = Zeroizing::new(String::new());
    // One byte more than the limit: a file that grew since stat is caught too.
    file.take(MAX_CONF_LEN + 1)
        .read_to_string(&mut text)
        .map_err(|e| ConfigError::io(path, &e))?;
    if text.len() as u64 > MAX_CONF_LEN {
        return Err(too_large(text.len() as u64));
    }
    let (_, mut cfg) = parse_corosync_conf(&text).map_err(|e| e.in_file(path))?;
    cfg.file = Some(path.to_path_buf());
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB_2NODE: &str = r#"
# corosync 3 lab, 2 nodes, 2 links
totem {
    version: 2
    cluster_name: lab
    transport: knet
    crypto_cipher: aes256
    crypto_hash: sha256
    crypto_model: nss
    keyfile: /etc/corosync/authkey
    interface {
        linknumber: 0
        knet_ping_interval: 750
        knet_ping_timeout: 1500
    }
    interface {
        linknumber: 1
        mcastport: 5406
    }
}

logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    timestamp: hires
    logger_subsys {
        subsys: KNET
        debug: on
    }
}

quorum {
    provider: corosync_votequorum
    two_node: 1
}

nodelist {
    node {
        nodeid: 1
        name: alpha
        ring0_addr: 10.99.0.1
        ring1_addr: 10.99.1.1
    }
    node {
        nodeid: 2
        name: beta
        ring0_addr: 10.99.0.2
        ring1_addr: 10.99.1.2
    }
}
"#;

    #[test]
    fn parses_a_two_node_knet_config() {
        let (tree, c) = parse_corosync_conf(LAB_2NODE).unwrap();
        assert_eq!(c.cluster_name.as_deref(), Some("lab"));
        assert_eq!(c.transport, Some(TransportKind::Knet));
        assert_eq!(c.crypto_suite().unwrap(), CryptoSuite::AES256_SHA256);
        assert_eq!(c.crypto_model.as_deref(), Some("nss"));
        assert_eq!(c.keyfile, Some(PathBuf::from("/etc/corosync/authkey")));
        assert_eq!(c.interfaces.len(), 2);
        assert_eq!(c.interfaces[0].knet_ping_interval, Some(750));
        assert_eq!(c.interfaces[0].line, 11);
        assert_eq!(c.link_port(0), 5405);
        assert_eq!(c.link_port(1), 5406);
        assert_eq!(c.link_port(2), 5407);
        assert_eq!(c.node_count(), 2);
        let beta = c.node_by_id(2).unwrap();
        assert_eq!(beta.name.as_deref(), Some("beta"));
        assert_eq!(
            beta.addr(1),
            Some(&NodeAddr::Ip("10.99.1.2".parse().unwrap()))
        );
        let (n, link) = c.node_by_addr("10.99.1.1".parse().unwrap()).unwrap();
        assert_eq!((n.nodeid, link), (Some(1), 1));
        let sub = tree
            .root
            .section("logging")
            .unwrap()
            .section("logger_subsys")
            .unwrap();
        assert_eq!(sub.get("subsys"), Some("KNET"));
        assert_eq!(
            tree.root.section("quorum").unwrap().get("two_node"),
            Some("1")
        );
    }

    #[test]
    fn parses_a_five_node_config_with_timeouts_hostnames_and_ipv6() {
        let text = "totem {\n version: 2\n cluster_name: prod-db\n token: 5000\n token_coefficient: 1000\n\
            consensus: 7200\n join: 60\n token_warning: 80\n hold: 900\n token_retransmit: 1100\n\
            knet_pmtud_interval: 60\n knet_mtu: 1400\n netmtu: 1500\n link_mode: active\n secauth: on\n\
            knet_pong_count: 3\n knet_ping_interval: 500\n knet_ping_timeout: 2000\n}\n\
            nodelist {\n node {\n  ring0_addr: db1.example.net\n  nodeid: 1\n }\n\
            node {\n  ring0_addr: fd00::2\n  ring1_addr: [fd01::2]\n  nodeid: 2\n }\n\
            node { ring0_addr: 192.0.2.3\n nodeid: 3 }\n\
            node {\n  ring0_addr: 192.0.2.4\n  nodeid: 4\n }\n node {\n  ring0_addr: 192.0.2.5\n  nodeid: 5\n }\n}\n";
        let (_, c) = parse_corosync_conf(text).unwrap();
        assert_eq!(c.cluster_name.as_deref(), Some("prod-db"));
        assert_eq!(c.transport, None);
        assert_eq!(c.transport_or_default(), TransportKind::Knet);
        assert_eq!(c.link_mode, Some(LinkMode::Active));
        assert_eq!(
            (c.token, c.token_coefficient, c.consensus, c.join),
            (Some(5000), Some(1000), Some(7200), Some(60))
        );
        assert_eq!(
            (c.token_warning, c.hold, c.token_retransmit),
            (Some(80), Some(900), Some(1100))
        );
        assert_eq!(
            (c.knet_pmtud_interval, c.knet_mtu, c.netmtu),
            (Some(60), Some(1400), Some(1500))
        );
        assert_eq!(
            (c.knet_pong_count, c.knet_ping_interval, c.knet_ping_timeout),
            (Some(3), Some(500), Some(2000))
        );
        assert_eq!(c.secauth, Some(true));
        assert_eq!(c.crypto_suite().unwrap(), CryptoSuite::AES256_SHA256);
        assert_eq!(
            c.crypto_suite_corosync2().unwrap(),
            CryptoSuite::AES256_SHA1
        );
        assert_eq!(c.node_count(), 5);
        assert_eq!(
            c.nodelist[0].addr(0),
            Some(&NodeAddr::Host("db1.example.net".into()))
        );
        assert_eq!(c.nodelist[0].display_name(), "node1");
        assert_eq!(
            c.nodelist[1].addr(1),
            Some(&NodeAddr::Ip("fd01::2".parse().unwrap()))
        );
        assert_eq!(c.nodelist[2].nodeid, Some(3));
    }

    #[test]
    fn corosync2_udpu_config_with_rings() {
        let text = "totem {\n\tversion: 2\n\tsecauth: off\n\ttransport: udpu\n\trrp_mode: passive\n\
            \tinterface {\n\t\tringnumber: 0\n\t\tbindnetaddr: 192.168.10.0\n\t\tmcastport: 5405\n\t}\n\
            \tinterface {\n\t\tringnumber: 1\n\t\tbindnetaddr: 192.168.20.0\n\t\tmcastport: 5407\n\t}\n}\n\
            nodelist {\n\tnode {\n\t\tring0_addr: 192.168.10.1\n\t\tring1_addr: 192.168.20.1\n\t}\n}\n";
        let (_, c) = parse_corosync_conf(text).unwrap();
        assert_eq!(c.transport, Some(TransportKind::Udpu));
        assert_eq!(c.crypto_suite().unwrap(), CryptoSuite::CLEARTEXT);
        assert_eq!(c.interfaces[1].linknumber, 1);
        assert_eq!(c.link_port(1), 5407);
        assert_eq!(c.interfaces[0].bindnetaddr.as_deref(), Some("192.168.10.0"));
        assert_eq!(c.nodelist[0].nodeid, None);
        assert_eq!(c.nodelist[0].display_name(), "192.168.10.1");
    }

    #[test]
    fn errors_name_the_line() {
        let e = ConfTree::parse("totem {\n  token: 3000\n").unwrap_err();
        assert_eq!(
            (e.line, &e.kind),
            (
                Some(1),
                &ConfigErrorKind::UnclosedSection {
                    name: "totem".into()
                }
            )
        );
        let e = ConfTree::parse("totem {\n}\n}\n").unwrap_err();
        assert_eq!(
            (e.line, &e.kind),
            (Some(3), &ConfigErrorKind::UnexpectedClose)
        );
        let e = ConfTree::parse("totem {\n  this is wrong\n}\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().starts_with("line 2: "), "{e}");
        let e = parse_corosync_conf("totem {\n  # c\n  token: 3s\n}\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("token: \"3s\""), "{e}");
        let e = parse_corosync_conf("totem {\n crypto_cipher: aes256\n crypto_hash: none\n}\n")
            .unwrap()
            .1;
        assert!(e.crypto_suite().is_err());
        let e = parse_corosync_conf("totem {\n interface {\n  linknumber: 8\n }\n}\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = load_corosync_conf(Path::new("/nonexistent/corosync.conf")).unwrap_err();
        assert!(
            e.to_string().starts_with("/nonexistent/corosync.conf: "),
            "{e}"
        );
    }

    #[test]
    fn inline_key_is_never_shown() {
        let secret = "s3cr3t-".repeat(20); // 140 bytes
        let text = format!("totem {{\n key: {secret}\n}}\n");
        let (tree, c) = parse_corosync_conf(&text).unwrap();
        assert_eq!(c.key.as_ref().unwrap().len(), 140);
        for dbg in [format!("{tree:?}"), format!("{c:?}")] {
            assert!(!dbg.contains("s3cr3t"), "{dbg}");
        }
        // Too short: the error names the line, not the value.
        let e = parse_corosync_conf("totem {\n key: s3cr3t\n}\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            !e.to_string().contains("s3cr3t") && !format!("{e:?}").contains("s3cr3t"),
            "{e}"
        );
        let e = ConfTree::parse("totem {\n key s3cr3t\n}\n").unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn comments_quotes_overrides_and_one_line_sections() {
        let text = "# top\n  # indented comment\ntotem {\n cluster_name: \"my cluster\"\n token: 1000\n token: 2000\n\
            interface { linknumber: 1 }\n}\nquorum{provider: corosync_votequorum}\n";
        let (tree, c) = parse_corosync_conf(text).unwrap();
        assert_eq!(c.cluster_name.as_deref(), Some("my cluster"));
        assert_eq!(c.token, Some(2000));
        assert_eq!(c.interfaces[0].linknumber, 1);
        assert_eq!(
            tree.root.section("quorum").unwrap().get("provider"),
            Some("corosync_votequorum")
        );
        let (_, c) = parse_corosync_conf("").unwrap();
        assert!(c.nodelist.is_empty() && c.token.is_none());
    }
}
