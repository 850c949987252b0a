//! The lake on object storage (`[paths] lake = "s3://bucket/prefix"` or an
//! Azure URL), through `object_store`. Keys are the lake's relative paths
//! (`laadlog/part-00000001.parquet`) under the URL's prefix, so the layout is
//! the one on disk and any Parquet reader can read the bucket.
//!
//! Object stores have no rename and no file lock, so the commit protocols use
//! what they do have: a put is atomic (a reader sees an object whole or not at
//! all), and a conditional put (`If-None-Match: *`) creates an object only if
//! its key is free. An ingest batch's `laadlog` part and the lake's lock are
//! created that way; see `store.rs` and `compute/store.rs` for the rest.
//!
//! The lake's code is synchronous, so each call runs on a small runtime of
//! its own and waits for the answer. DataFusion reads through a second client
//! built from the same settings on its own runtime: a client's connection
//! pool belongs to the runtime it was first used on.

use crate::error::{Error, Result};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, ObjectStoreScheme, PutMode, PutOptions, PutPayload};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use url::Url;

/// The URL schemes a lake may live at.
pub const SCHEMES: &str = "s3://, s3a://, az://, azure://, abfs:// or abfss://";

pub struct Remote {
    /// The lake's URL, ending in `/`.
    url: Url,
    prefix: Key,
    store: Arc<dyn ObjectStore>,
    options: BTreeMap<String, String>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({})", self.url)
    }
}

/// Whether `location` names object storage rather than a folder.
pub fn is_url(location: &str) -> bool {
    location.contains("://")
}

/// Parses a lake URL and checks that its scheme is one we can reach.
pub fn parse_url(location: &str) -> std::result::Result<Url, String> {
    let trimmed = location.trim_end_matches('/');
    let url = Url::parse(&format!("{trimmed}/")).map_err(|e| format!("{location} is no URL: {e}"))?;
    match ObjectStoreScheme::parse(&url) {
        Ok((ObjectStoreScheme::AmazonS3 | ObjectStoreScheme::MicrosoftAzure, _)) => Ok(url),
        _ => Err(format!("the lake at {location} is not on object storage we can reach: use {SCHEMES}")),
    }
}

impl Remote {
    /// Opens the lake at `url`. `options` are the `[object_store]` settings
    /// (endpoint, region...); credentials come from the environment.
    pub fn open(url: &Url, options: &BTreeMap<String, String>) -> Result<Remote> {
        let (_, prefix) =
            ObjectStoreScheme::parse(url).map_err(|e| Error::Invalid(format!("the lake at {url}: {e}")))?;
        let store = build(url, options)?;
        Ok(Remote { url: url.clone(), prefix, store, options: options.clone() })
    }

    /// A new client for DataFusion to read through, and the URL to register it at.
    pub fn reader(&self) -> Result<(Url, Arc<dyn ObjectStore>)> {
        let mut base = self.url.clone();
        base.set_path("/");
        Ok((base, build(&self.url, &self.options)?))
    }

    /// The URL of a lake path, for messages and for DataFusion.
    pub fn url_of(&self, relative: &str) -> String {
        format!("{}{relative}", self.url)
    }

    fn key(&self, relative: &str) -> Result<Key> {
        let relative = relative.trim_end_matches('/');
        let full = if self.prefix.as_ref().is_empty() {
            relative.to_string()
        } else if relative.is_empty() {
            self.prefix.to_string()
        } else {
            format!("{}/{relative}", self.prefix)
        };
        Key::parse(&full).map_err(|e| Error::Invalid(format!("cannot address {}: {e}", self.url_of(relative))))
    }

    /// The relative path of a key under the lake's prefix.
    fn relative(&self, key: &Key) -> String {
        let key = key.as_ref();
        let prefix = self.prefix.as_ref();
        if prefix.is_empty() {
            key.to_string()
        } else {
            key.strip_prefix(prefix).unwrap_or(key).trim_start_matches('/').to_string()
        }
    }

    fn fail(&self, action: &'static str, relative: &str) -> impl FnOnce(object_store::Error) -> Error + use<> {
        let url = self.url_of(relative);
        move |source| Error::ObjectStore { action, url, source: Box::new(source) }
    }

    /// The names of the objects directly in `dir` (not in its sub-folders).
    pub fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        Ok(self.list_dir(dir)?.0)
    }

    /// The names of the sub-folders of `dir`.
    pub fn list_dirs(&self, dir: &str) -> Result<Vec<String>> {
        Ok(self.list_dir(dir)?.1)
    }

    fn list_dir(&self, dir: &str) -> Result<(Vec<String>, Vec<String>)> {
        let key = self.key(dir)?;
        let store = self.store.clone();
        let listed = block(async move { store.list_with_delimiter(Some(&key)).await })?
            .map_err(self.fail("cannot list", dir))?;
        let name = |k: &Key| k.filename().map(str::to_string);
        let mut files: Vec<String> = listed.objects.iter().filter_map(|o| name(&o.location)).collect();
        let mut dirs: Vec<String> = listed.common_prefixes.iter().filter_map(name).collect();
        files.sort();
        dirs.sort();
        Ok((files, dirs))
    }

    /// Every object under `dir`, as lake paths, sorted.
    pub fn list_all(&self, dir: &str) -> Result<Vec<String>> {
        let key = self.key(dir)?;
        let store = self.store.clone();
        let listed: Vec<_> = block(async move { store.list(Some(&key)).try_collect::<Vec<_>>().await })?
            .map_err(self.fail("cannot list", dir))?;
        let mut paths: Vec<String> = listed.iter().map(|o| self.relative(&o.location)).collect();
        paths.sort();
        Ok(paths)
    }

    pub fn get(&self, relative: &str) -> Result<Bytes> {
        let key = self.key(relative)?;
        let store = self.store.clone();
        block(async move { store.get(&key).await?.bytes().await })?.map_err(self.fail("cannot read", relative))
    }

    pub fn exists(&self, relative: &str) -> Result<bool> {
        let key = self.key(relative)?;
        let store = self.store.clone();
        match block(async move { store.head(&key).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.fail("cannot look up", relative)(e)),
        }
    }

    /// Writes an object whole (replacing one of the same name).
    pub fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        let key = self.key(relative)?;
        let store = self.store.clone();
        block(async move { store.put(&key, PutPayload::from(bytes)).await })?
            .map_err(self.fail("cannot write", relative))?;
        Ok(())
    }

    /// Writes an object only if its name is free; `false` when it was taken.
    pub fn create(&self, relative: &str, bytes: Vec<u8>) -> Result<bool> {
        let key = self.key(relative)?;
        let store = self.store.clone();
        let options = PutOptions { mode: PutMode::Create, ..Default::default() };
        match block(async move { store.put_opts(&key, PutPayload::from(bytes), options).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.fail("cannot create", relative)(e)),
        }
    }

    pub fn delete(&self, relative: &str) -> Result<()> {
        let key = self.key(relative)?;
        let store = self.store.clone();
        match block(async move { store.delete(&key).await })? {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail("cannot remove", relative)(e)),
        }
    }

    /// Moves an object: a copy (atomic for the target) and a delete. Not one
    /// step, so callers only move what they can move again after an
    /// interruption. Returns `false` when there was nothing to move.
    pub fn rename(&self, from: &str, to: &str) -> Result<bool> {
        let (source, target) = (self.key(from)?, self.key(to)?);
        let store = self.store.clone();
        match block(async move { store.copy(&source, &target).await })? {
            Ok(()) => {}
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(self.fail("cannot copy into", to)(e)),
        }
        self.delete(from)?;
        Ok(true)
    }

    /// Removes every object under `dir`.
    pub fn remove_all(&self, dir: &str) -> Result<()> {
        for path in self.list_all(dir)? {
            self.delete(&path)?;
        }
        Ok(())
    }
}

fn build(url: &Url, options: &BTreeMap<String, String>) -> Result<Arc<dyn ObjectStore>> {
    let invalid = |e: object_store::Error| Error::Invalid(format!("cannot reach the lake at {url}: {e}"));
    let (scheme, _) = ObjectStoreScheme::parse(url)
        .map_err(|e| Error::Invalid(format!("the lake at {url} is not on object storage we can reach: {e}")))?;
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::AmazonS3 => {
            let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(url.as_str());
            for (key, value) in options {
                let key = key.parse().map_err(|_| unknown_option(key, "s3"))?;
                builder = builder.with_config(key, value);
            }
            Arc::new(builder.build().map_err(invalid)?)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let mut builder = object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url.as_str());
            for (key, value) in options {
                let key = key.parse().map_err(|_| unknown_option(key, "azure"))?;
                builder = builder.with_config(key, value);
            }
            Arc::new(builder.build().map_err(invalid)?)
        }
        _ => {
            return Err(Error::Invalid(format!(
                "the lake at {url} is not on object storage we can reach: use {SCHEMES}"
            )));
        }
    };
    Ok(store)
}

fn unknown_option(key: &str, kind: &str) -> Error {
    Error::Invalid(format!(
        "[object_store] {key} is no setting of {kind} object storage (see the object_store crate's AmazonS3ConfigKey and AzureConfigKey)"
    ))
}

/// Runs `future` on the lake's own runtime and waits for it. Safe to call from
/// inside another runtime's task (it blocks that thread, as a file read would).
fn block<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> Result<T> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    let runtime = RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("lake-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Invalid(format!("cannot start the object storage client: {e}")))?;
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = sender.send(future.await);
    });
    receiver.recv().map_err(|_| Error::Invalid("the object storage client stopped before it answered".into()))
}
