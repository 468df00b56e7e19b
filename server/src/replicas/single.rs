//! SQLite is for one console: a second `serve` on the same file is refused
//! (an exclusive lock on a file beside the database, which the operating
//! system lets go when the process ends, however it ends). The `staff`
//! commands do not take it, so they still work beside a running console.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Result, ServerError};

/// Held for as long as this process serves from the SQLite file.
pub struct ServeLock {
    _file: File,
    pub path: PathBuf,
}

impl ServeLock {
    /// Takes the lock beside `database`, or says who has it.
    pub fn take(database: &Path) -> Result<ServeLock> {
        let mut name = database.as_os_str().to_owned();
        name.push(".serve-lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ServerError::Config(format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(ServeLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(ServerError::Config(format!(
                "another `tenantry serve` is already using {}: SQLite is for one console \
                 (use a postgres:// database for several replicas; `tenantry staff …` works beside it)",
                database.display()
            ))),
            Err(TryLockError::Error(e)) => Err(ServerError::Config(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_serve_on_one_file_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("tenantry.db");
        let first = ServeLock::take(&db).expect("first");
        let second = ServeLock::take(&db)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(second.contains("another `tenantry serve`"), "{second}");
        drop(first);
        assert!(ServeLock::take(&db).is_ok());
    }
}
