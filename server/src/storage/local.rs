//! The embedded default: objects as files under one directory.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{ByteRange, ObjectReader, StorageError};

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub async fn open(root: PathBuf) -> Result<Self, StorageError> {
        tokio::fs::create_dir_all(&root).await?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Links (or, across file systems, copies) the staged file next to its destination, syncs
    /// it, and renames it into place: readers see no object or the whole object.
    pub async fn put_file(&self, key: &str, staged: &Path) -> Result<(), StorageError> {
        let dest = self.path(key);
        let parent = dest.parent().unwrap_or(&self.root).to_owned();
        tokio::fs::create_dir_all(&parent).await?;
        let staged = staged.to_owned();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let temp = tempfile::Builder::new().prefix(".incoming-").make_in(&parent, |p| {
                std::fs::hard_link(&staged, p).or_else(|_| std::fs::copy(&staged, p).map(|_| ()))
            })?;
            std::fs::File::open(temp.path())?.sync_all()?;
            temp.persist(&dest).map_err(|e| e.error)?;
            // Make the rename itself durable.
            std::fs::File::open(&parent)?.sync_all()
        })
        .await
        .map_err(|e| StorageError::Other(e.to_string()))??;
        Ok(())
    }

    /// Writes `bytes` beside the destination, syncs them and renames them into place.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        let dest = self.path(key);
        let parent = dest.parent().unwrap_or(&self.root).to_owned();
        tokio::fs::create_dir_all(&parent).await?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut temp = tempfile::Builder::new().prefix(".incoming-").tempfile_in(&parent)?;
            std::io::Write::write_all(&mut temp, &bytes)?;
            temp.as_file().sync_all()?;
            temp.persist(&dest).map_err(|e| e.error)?;
            std::fs::File::open(&parent)?.sync_all()
        })
        .await
        .map_err(|e| StorageError::Other(e.to_string()))??;
        Ok(())
    }

    pub async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ObjectReader, StorageError> {
        let mut file = match tokio::fs::File::open(self.path(key)).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound);
            }
            Err(e) => return Err(e.into()),
        };
        match range {
            None => Ok(Box::pin(file)),
            Some(range) => {
                file.seek(SeekFrom::Start(range.first)).await?;
                Ok(Box::pin(file.take(range.last - range.first + 1)))
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn check_ready(&self) -> Result<(), StorageError> {
        tokio::fs::metadata(&self.root)
            .await
            .map(|_| ())
            .map_err(|e| StorageError::Unavailable(e.to_string()))
    }
}
