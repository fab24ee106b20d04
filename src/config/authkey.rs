//! Loading the cluster authkey: opened read-only, read into a buffer that
//! is wiped, length-checked, and a warning value (never printed here) when
//! the file's permissions let group or others read it.

use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{ConfigError, ConfigErrorKind};
use crate::wire::crypto::{AuthKey, KeyError};

/// Something about the key file the user should hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyWarning {
    /// Group or others may access the file (corosync-keygen writes 0400).
    LooseMode { path: PathBuf, mode: u32 },
}

impl std::fmt::Display for KeyWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyWarning::LooseMode { path, mode } => write!(
                f,
                "{}: key file mode {:04o} lets group or others access it; corosync expects 0400 (chmod 400)",
                path.display(),
                mode & 0o7777
            ),
        }
    }
}

/// A loaded key and any warning about its file.
#[derive(Debug)]
pub struct LoadedKey {
    pub key: AuthKey,
    pub warning: Option<KeyWarning>,
}

/// Read an authkey file (128..=4096 bytes). The key bytes never appear in
/// the error or anywhere else; the read buffer is wiped.
pub fn load_authkey(path: &Path) -> Result<LoadedKey, ConfigError> {
    // Never blocks: a FIFO or device is refused before open(2) can wait on it.
    let (mut file, meta) = super::open_regular(path)?;
    let warning = loose_mode(&meta).map(|mode| KeyWarning::LooseMode {
        path: path.to_path_buf(),
        mode,
    });

    // One fixed buffer, one byte larger than the largest key, so a longer
    // file is detected without reading it all; never reallocated.
    let mut buf = Zeroizing::new(vec![0u8; AuthKey::MAX_LEN + 1]);
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ConfigError::io(path, &e)),
        }
    }
    let key = if len > AuthKey::MAX_LEN {
        // Report the file's size, not what was read.
        let size = usize::try_from(meta.len()).unwrap_or(usize::MAX).max(len);
        Err(KeyError::TooLong { len: size })
    } else {
        AuthKey::from_bytes(&buf[..len])
    };
    let key = key.map_err(|e| ConfigError::new(ConfigErrorKind::Key(e)).in_file(path))?;
    Ok(LoadedKey { key, warning })
}

#[cfg(unix)]
fn loose_mode(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode();
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn loose_mode(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(name: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("corowire-authkey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        let _ = std::fs::remove_file(&p);
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(bytes).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        p
    }

    #[test]
    fn loads_a_private_key_without_warning() {
        let bytes: Vec<u8> = (0..256u32).map(|i| (i * 13 + 5) as u8).collect();
        let p = temp_file("ok.key", &bytes, 0o400);
        let k = load_authkey(&p).unwrap();
        assert_eq!(k.key.len(), 256);
        assert_eq!(k.warning, None);
        assert_eq!(format!("{:?}", k.key), "AuthKey { len: 256, .. }");
    }

    #[cfg(unix)]
    #[test]
    fn warns_when_group_or_others_can_read() {
        let p = temp_file("loose.key", &[7u8; 128], 0o644);
        let k = load_authkey(&p).unwrap();
        let w = k.warning.unwrap();
        assert!(matches!(w, KeyWarning::LooseMode { mode, .. } if mode & 0o777 == 0o644));
        assert!(w.to_string().contains("0644"), "{w}");
        let p = temp_file("group.key", &[7u8; 128], 0o440);
        assert!(load_authkey(&p).unwrap().warning.is_some());
    }

    #[test]
    fn rejects_bad_lengths_and_paths_without_showing_bytes() {
        let p = temp_file("short.key", b"0123456789secret", 0o400);
        let e = load_authkey(&p).unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::Key(KeyError::TooShort { len: 16 }));
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("secret") && shown.contains("short.key"),
            "{shown}"
        );
        let p = temp_file("long.key", &[1u8; 5000], 0o400);
        assert_eq!(
            load_authkey(&p).unwrap_err().kind,
            ConfigErrorKind::Key(KeyError::TooLong { len: 5000 })
        );
        let e = load_authkey(Path::new("/nonexistent/authkey")).unwrap_err();
        assert!(matches!(
            e.kind,
            ConfigErrorKind::Io {
                kind: std::io::ErrorKind::NotFound,
                ..
            }
        ));
        let e = load_authkey(&std::env::temp_dir()).unwrap_err();
        assert_eq!(
            e.kind,
            ConfigErrorKind::NotAFile {
                what: "a directory"
            }
        );
    }
}
