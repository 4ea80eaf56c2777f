//! An object store that fails on purpose: wraps a real one and, while a fault is armed, makes
//! the next matching operation fail, write only part of its payload and then fail (a torn
//! write), or wait first (latency).

use futures::StreamExt;
use futures::stream::BoxStream;
use kalamdb_core::object_store::path::Path;
use kalamdb_core::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Which operation a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Put,
    Rename,
    Delete,
    Get,
}

/// What the hit operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Fails without doing anything.
    Error,
    /// Puts: writes the first half of the payload, then fails.
    Torn,
    /// Waits, then does the operation.
    Slow(Duration),
}

/// An armed fault: hits the first `op` whose path contains `needle`, once.
#[derive(Clone, Debug)]
pub struct Armed {
    pub op: Op,
    pub needle: &'static str,
    pub fault: Fault,
}

#[derive(Clone, Default)]
pub struct Faults(Arc<Mutex<Option<Armed>>>);

impl Faults {
    pub fn arm(&self, armed: Armed) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(armed);
    }

    /// The fault was armed and not hit yet.
    pub fn pending(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    pub fn disarm(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Takes the fault if it hits `op` on `path`.
    fn take(&self, op: Op, path: &Path) -> Option<Fault> {
        let mut armed = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let hit = armed
            .as_ref()
            .is_some_and(|a| a.op == op && path.as_ref().contains(a.needle));
        if hit {
            armed.take().map(|a| a.fault)
        } else {
            None
        }
    }
}

fn injected(op: &str, path: &Path) -> object_store::Error {
    object_store::Error::Generic {
        store: "faulty",
        source: format!("injected failure of {op} {path}").into(),
    }
}

#[derive(Debug)]
pub struct FaultyStore {
    pub inner: Arc<dyn ObjectStore>,
    pub faults: Faults,
}

impl std::fmt::Display for FaultyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Faults")
    }
}

#[async_trait::async_trait]
impl ObjectStore for FaultyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        match self.faults.take(Op::Put, location) {
            Some(Fault::Error) => Err(injected("put", location)),
            Some(Fault::Torn) => {
                let bytes: Vec<u8> = payload.into_iter().flat_map(|b| b.to_vec()).collect();
                let half = PutPayload::from(bytes[..bytes.len() / 2].to_vec());
                self.inner.put_opts(location, half, opts).await?;
                Err(injected("put (torn)", location))
            }
            Some(Fault::Slow(d)) => {
                tokio::time::sleep(d).await;
                self.inner.put_opts(location, payload, opts).await
            }
            None => self.inner.put_opts(location, payload, opts).await,
        }
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        match self.faults.take(Op::Get, location) {
            Some(Fault::Error | Fault::Torn) => Err(injected("get", location)),
            Some(Fault::Slow(d)) => {
                tokio::time::sleep(d).await;
                self.inner.get_opts(location, options).await
            }
            None => self.inner.get_opts(location, options).await,
        }
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let faults = self.faults.clone();
        let inner = self.inner.clone();
        locations
            .then(move |location| {
                let (faults, inner) = (faults.clone(), inner.clone());
                async move {
                    let location = location?;
                    if faults.take(Op::Delete, &location).is_some() {
                        return Err(injected("delete", &location));
                    }
                    let one = futures::stream::once(async { Ok(location) }).boxed();
                    let mut out = inner.delete_stream(one);
                    out.next()
                        .await
                        .unwrap_or_else(|| Err(injected("delete", &Path::from(""))))
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        match self.faults.take(Op::Rename, to) {
            Some(Fault::Error | Fault::Torn) => Err(injected("rename", to)),
            Some(Fault::Slow(d)) => {
                tokio::time::sleep(d).await;
                self.inner.rename_opts(from, to, options).await
            }
            None => self.inner.rename_opts(from, to, options).await,
        }
    }
}
