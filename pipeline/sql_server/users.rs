//! Who may log in to the SQL endpoint: the users file, one user per line,
//!
//! ```text
//! NAME SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//! ```
//!
//! (salt and keys in base64), the verifier PostgreSQL itself keeps (RFC 5802,
//! RFC 7677). It holds neither the password nor anything a client could log
//! in with: StoredKey checks a client's proof, ServerKey signs the server's
//! answer. `wmo-monitor users add NAME` writes it; a line starting with `#`
//! is a comment.

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const METHOD: &str = "SCRAM-SHA-256";
/// PostgreSQL's own default, and RFC 7677's minimum.
pub const ITERATIONS: u32 = 4096;

/// What the server keeps of one password.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

// Never printed, not even in a debug log.
impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(..)")
    }
}

pub fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length, so new_from_slice cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl Verifier {
    /// The verifier of a password, with a fresh random salt.
    pub fn of_password(password: &str) -> Verifier {
        let mut salt = vec![0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        Verifier::with_salt(password, salt, ITERATIONS)
    }

    pub fn with_salt(password: &str, salt: Vec<u8>, iterations: u32) -> Verifier {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, iterations, &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt,
            stored_key: Sha256::digest(client_key).into(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix(METHOD)?.strip_prefix('$')?;
        let (head, keys) = rest.split_once('$')?;
        let (iterations, salt) = head.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        Some(Verifier {
            iterations: iterations.parse().ok().filter(|i| *i >= ITERATIONS)?,
            salt: STANDARD.decode(salt).ok().filter(|s| !s.is_empty())?,
            stored_key: STANDARD.decode(stored).ok()?.try_into().ok()?,
            server_key: STANDARD.decode(server).ok()?.try_into().ok()?,
        })
    }

    fn text(&self) -> String {
        format!(
            "{METHOD}${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(self.stored_key),
            STANDARD.encode(self.server_key)
        )
    }
}

/// A user name as PostgreSQL clients send it: letters, digits, `_`, `.`, `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

#[derive(Debug, Default, Clone)]
pub struct Users(BTreeMap<String, Verifier>);

impl Users {
    /// The users of the file; a missing file has none (and nobody can log in).
    pub fn load(path: &Path) -> Result<Users> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Users::default()),
            Err(e) => return Err(Error::io("cannot read the users file", path)(e)),
        };
        let mut users = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                Error::Invalid(format!(
                    "{} line {}: not `NAME SCRAM-SHA-256$...` as `wmo-monitor users add NAME` writes it",
                    path.display(),
                    number + 1
                ))
            };
            let (name, verifier) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
            if !valid_name(name) {
                return Err(bad());
            }
            users.insert(name.to_string(), Verifier::parse(verifier.trim()).ok_or_else(bad)?);
        }
        Ok(Users(users))
    }

    pub fn get(&self, name: &str) -> Option<&Verifier> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Adds the user (or gives it a new password) and rewrites the file
    /// aside and renamed into place, readable by its owner only.
    pub fn add(path: &Path, name: &str, password: &str) -> Result<()> {
        if !valid_name(name) {
            return Err(Error::Invalid(format!(
                "{name:?} is no user name: use letters, digits, '_', '.' and '-' (at most 63)"
            )));
        }
        if password.chars().count() < 12 {
            return Err(Error::Invalid("a password needs at least 12 characters".into()));
        }
        let mut users = Users::load(path)?;
        users.0.insert(name.to_string(), Verifier::of_password(password));
        let mut text = String::from(
            "# Users of the wmo-monitor SQL endpoint (`wmo-monitor users add NAME`): SCRAM-SHA-256 verifiers, no passwords.\n",
        );
        for (name, verifier) in &users.0 {
            text.push_str(&format!("{name} {}\n", verifier.text()));
        }
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(Error::io("cannot create", folder))?;
        }
        let aside = path.with_extension("nieuw");
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&aside)
                .map_err(Error::io("cannot write", &aside))?;
            file.write_all(text.as_bytes()).map_err(Error::io("cannot write", &aside))?;
            file.sync_all().map_err(Error::io("cannot write", &aside))?;
        }
        std::fs::rename(&aside, path).map_err(Error::io("cannot replace", path))
    }
}

/// The users file as the endpoint reads it: again at a login after it
/// changed, so `users add` (or a removed line) counts without a restart. A
/// file that cannot be read keeps the users it had, and the log says why.
pub struct UsersFile {
    path: std::path::PathBuf,
    seen: std::sync::Mutex<(Option<Stamp>, std::sync::Arc<Users>)>,
}

/// When the file last changed, and its size.
type Stamp = (std::time::SystemTime, u64);

impl UsersFile {
    pub fn open(path: &Path) -> Result<UsersFile> {
        let users = Users::load(path)?;
        Ok(UsersFile {
            path: path.to_path_buf(),
            seen: std::sync::Mutex::new((stamp(path), std::sync::Arc::new(users))),
        })
    }

    /// The users as the file holds them now.
    pub fn current(&self) -> std::sync::Arc<Users> {
        let mut seen = self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = stamp(&self.path);
        if now != seen.0 {
            match Users::load(&self.path) {
                Ok(users) => *seen = (now, std::sync::Arc::new(users)),
                Err(e) => tracing::warn!("sql-server: {e}; the users read before still count"),
            }
        }
        seen.1.clone()
    }
}

/// The file's stamp; `None` while it does not exist.
fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}
