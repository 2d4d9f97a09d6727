//! The submissions store, and the registry pushes of [`pushes`]: a small API over named sled
//! trees in a data directory. The only module that imports sled.
//!
//! On disk, a data directory holds sled's files and [`MARKER_FILE`], which names the store's
//! format. The marker is read before sled touches anything, so a foreign directory or one
//! written by a newer typehouse is refused untouched; the `meta` tree repeats the format, so
//! a database that lost its contents is refused too, never silently started afresh.
//!
//! Every write is one transaction over the trees it changes, flushed to disk before it is
//! acknowledged. Calls block (sled does file I/O): async callers run them on a blocking pool.

pub mod pushes;

use std::collections::HashMap;
use std::io;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use crate::submission::{
    Decision, Evaluated, Review, ReviewError, ReviewState, Submission, SubmissionId, Timestamp,
};

/// The on-disk format this build reads and writes.
pub const FORMAT: u32 = 1;

/// The file that marks a directory as a typehouse store and names its format.
pub const MARKER_FILE: &str = "typehouse-store.json";

/// Pending submissions accepted at most, unless [`Store::with_max_pending`] says otherwise.
pub const DEFAULT_MAX_PENDING: usize = 1000;

/// sequence (u64, big-endian) -> submission (JSON). Iteration order is submission order.
const SUBMISSIONS: &str = "submissions";
/// digest (`sha256:<hex>`) -> sequence: the same content submitted again finds its submission.
const BY_DIGEST: &str = "by_digest";
/// status tag (one byte) + sequence -> nothing: lists by status, in submission order.
const BY_STATUS: &str = "by_status";
/// catalog path -> sequence of the approved submission that publishes it.
const APPROVED_PATHS: &str = "approved_paths";
/// format, next sequence, and a count per status.
const META: &str = "meta";
/// Manifest pushes registries reported, by registry and arrival: see [`pushes`].
const PUSHES: &str = "pushes";
/// Each push's identity (registry, repository, tag, digest) to its key in [`PUSHES`].
const PUSH_IDENTITIES: &str = "push_identities";

const META_FORMAT: &[u8] = b"format";
const META_NEXT_SEQUENCE: &[u8] = b"next_sequence";
/// How many writes (submissions and reviews) the database has taken. [`MARKER_FILE`] repeats
/// the count once they are durable, so a database that lost writes is noticed at open.
const META_WRITES: &[u8] = b"writes";

/// sled's own files; a directory holding only these and no marker is a sled database that
/// typehouse did not finish creating, or someone else's.
const SLED_FILES: [&str; 3] = ["conf", "db", "blobs"];

/// Why the store cannot do what was asked.
///
/// For an HTTP answer: `TooManyPending` is 429, `NotFound` 404, `Review` (not pending) and
/// `PathTaken` 409, `DiskFull` 507, `Locked`, `ReadOnly` and `NotDurable` 503; the rest are 500, their
/// cause logged. At open, every variant is a message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path} is not a typehouse data directory: {reason}")]
    Foreign { path: PathBuf, reason: String },
    #[error("no typehouse data directory at {0}")]
    Missing(PathBuf),
    #[error("the data directory {path} is corrupt: {reason}; restore it from a backup")]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "the data directory {path} has format {found}, newer than format {supported} that this typehouse reads: run a newer typehouse"
    )]
    NewerFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("the data directory {0} is in use by another typehouse process")]
    Locked(PathBuf),
    #[error("the disk holding the data directory is full")]
    DiskFull(#[source] io::Error),
    #[error("the data directory cannot be written: {0}")]
    ReadOnly(#[source] io::Error),
    #[error("I/O error on the data directory: {0}")]
    Io(#[source] io::Error),
    #[error("the storage engine failed: {0}")]
    Engine(String),
    #[error("{limit} submissions are already waiting for review; try again later")]
    TooManyPending { limit: usize },
    #[error("no submission {0}")]
    NotFound(SubmissionId),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("submission {0} with the same content is not stored durably; send it again later")]
    NotDurable(SubmissionId),
    #[error("{path} is already published by approved submission {by}")]
    PathTaken { path: String, by: SubmissionId },
}

/// The result of [`Store::insert`].
#[derive(Debug, Clone, PartialEq)]
pub struct Inserted {
    pub submission: Submission,
    /// False when the same content was already submitted: `submission` is that one.
    pub created: bool,
}

/// One page of a listing, and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Submission>,
    pub total: usize,
}

/// What [`MARKER_FILE`] holds.
#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: u32,
    #[serde(default)]
    about: String,
    /// Writes known to be durable; the database must hold at least as many.
    #[serde(default)]
    writes: u64,
}

/// The submissions store. Cheap to clone: clones share one database.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    submissions: Tree,
    by_digest: Tree,
    by_status: Tree,
    approved_paths: Tree,
    meta: Tree,
    pushes: Tree,
    push_identities: Tree,
    max_pending: usize,
    /// The write count [`MARKER_FILE`] holds; shared by clones.
    confirmed: Arc<Mutex<u64>>,
    /// Writes sled applied in memory but could not make durable (a full or read-only disk),
    /// by sequence, with the version readers keep seeing: the one before (`None` for a
    /// submission that did not exist). sled takes no write after a failed one, so this only
    /// grows until a restart, which forgets those writes; meanwhile reads never show them.
    unflushed: Arc<Mutex<HashMap<u64, Option<Submission>>>>,
}

/// What is in a data directory before sled opens it.
enum Found {
    Nothing,
    Store { format: u32, writes: u64 },
}

impl Store {
    /// Opens the store at `path`, creating it when the directory is missing or empty.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_inner(path, true)
    }

    /// Opens an existing store; a missing or empty directory is [`StoreError::Missing`].
    pub fn open_existing(path: &Path) -> Result<Self, StoreError> {
        Self::open_inner(path, false)
    }

    /// At most `limit` pending submissions; more is [`StoreError::TooManyPending`].
    pub fn with_max_pending(mut self, limit: usize) -> Self {
        self.max_pending = limit;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_inner(path: &Path, create: bool) -> Result<Self, StoreError> {
        let found = inspect(path)?;
        match found {
            Found::Nothing if !create => return Err(StoreError::Missing(path.to_path_buf())),
            Found::Nothing => std::fs::create_dir_all(path).map_err(io_error)?,
            Found::Store { format, .. } if format > FORMAT => {
                return Err(StoreError::NewerFormat {
                    path: path.to_path_buf(),
                    found: format,
                    supported: FORMAT,
                });
            }
            Found::Store { format, .. } if format < FORMAT => {
                return Err(corrupt(
                    path,
                    format!("{MARKER_FILE} names unknown format {format}"),
                ));
            }
            Found::Store { .. } => {}
        }
        let db = open_engine(path)?;
        let tree = |name: &str| db.open_tree(name).map_err(|e| engine_error(path, e));
        let store = Self {
            submissions: tree(SUBMISSIONS)?,
            by_digest: tree(BY_DIGEST)?,
            by_status: tree(BY_STATUS)?,
            approved_paths: tree(APPROVED_PATHS)?,
            meta: tree(META)?,
            pushes: tree(PUSHES)?,
            push_identities: tree(PUSH_IDENTITIES)?,
            db,
            path: path.to_path_buf(),
            max_pending: DEFAULT_MAX_PENDING,
            confirmed: Arc::default(),
            unflushed: Arc::default(),
        };
        match found {
            Found::Nothing => store.initialize()?,
            Found::Store { format, writes } => store.verify(format, writes)?,
        }
        Ok(store)
    }

    /// Writes the format into a new database, then the marker: a directory with a marker is a
    /// complete store.
    fn initialize(&self) -> Result<(), StoreError> {
        self.meta
            .insert(META_FORMAT, &FORMAT.to_be_bytes())
            .map_err(|e| self.engine_error(e))?;
        self.flush()?;
        write_marker(&self.path, 0)
    }

    fn verify(&self, marked: u32, marked_writes: u64) -> Result<(), StoreError> {
        let stored = self
            .meta
            .get(META_FORMAT)
            .map_err(|e| self.engine_error(e))?;
        let Some(stored) = stored else {
            return Err(self.corrupt(
                "the database holds no typehouse records although the directory is marked as a store (its files were damaged or replaced)",
            ));
        };
        let stored = <[u8; 4]>::try_from(stored.as_ref())
            .map(u32::from_be_bytes)
            .map_err(|_| self.corrupt("the stored format is unreadable"))?;
        if stored > FORMAT {
            return Err(StoreError::NewerFormat {
                path: self.path.clone(),
                found: stored,
                supported: FORMAT,
            });
        }
        if stored != marked {
            return Err(self.corrupt(format!(
                "{MARKER_FILE} says format {marked} but the database says {stored}"
            )));
        }
        // sled reads a truncated or older data file as the database it was back then: the
        // writes since are gone without a word. The marker knows how many were durable.
        let writes = self.read_writes()?;
        if writes < marked_writes {
            return Err(self.corrupt(format!(
                "it holds {writes} writes but {marked_writes} were stored and acknowledged, so its data file was truncated or replaced by an older copy (if you restored a backup on purpose, restore its {MARKER_FILE} too)"
            )));
        }
        *self.confirmed.lock().unwrap_or_else(|p| p.into_inner()) = writes;
        Ok(())
    }

    fn read_writes(&self) -> Result<u64, StoreError> {
        self.meta
            .get(META_WRITES)
            .map_err(|e| self.engine_error(e))?
            .map(|bytes| self.decode_sequence(&bytes))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Counts one write in the transaction; returns the new count.
    fn count_write(
        &self,
        meta: &TransactionalTree,
    ) -> Result<u64, ConflictableTransactionError<StoreError>> {
        let writes = match meta.get(META_WRITES)? {
            Some(bytes) => self.decode_sequence(&bytes).map_err(abort)?,
            None => 0,
        } + 1;
        meta.insert(META_WRITES, &writes.to_be_bytes())?;
        Ok(writes)
    }

    /// Records in [`MARKER_FILE`] that `writes` writes are durable. A failure here loses
    /// nothing (the writes are flushed already), only the check at the next open: it is logged.
    fn confirm(&self, writes: u64) {
        let mut confirmed = self.confirmed.lock().unwrap_or_else(|p| p.into_inner());
        if writes <= *confirmed {
            return;
        }
        match write_marker(&self.path, writes) {
            Ok(()) => *confirmed = writes,
            Err(error) => {
                tracing::warn!(%error, "cannot record the write count in {MARKER_FILE}")
            }
        }
    }

    /// Stores a new submission, or returns the one with the same content. A new pending
    /// submission beyond the limit is [`StoreError::TooManyPending`].
    pub fn insert(&self, evaluated: &Evaluated, at: Timestamp) -> Result<Inserted, StoreError> {
        let trees = (
            &self.submissions,
            &self.by_digest,
            &self.by_status,
            &self.meta,
        );
        let inserted = trees
            .transaction(|(submissions, by_digest, by_status, meta)| {
                if let Some(sequence) = by_digest.get(evaluated.digest.as_bytes())? {
                    let sequence = self.decode_sequence(&sequence).map_err(abort)?;
                    let submission = self.read(submissions, sequence)?.ok_or_else(|| {
                        abort(self.corrupt(format!(
                            "the digest index names a missing submission {}",
                            SubmissionId::new(sequence)
                        )))
                    })?;
                    return Ok((
                        Inserted {
                            submission,
                            created: false,
                        },
                        0,
                    ));
                }
                // Invalid submissions are kept for their submitters to read, so they take
                // room as pending ones do: neither kind can fill the disk.
                if matches!(
                    evaluated.status,
                    ReviewState::Pending | ReviewState::Invalid
                ) && self.read_count(meta, ReviewState::Pending)?
                    + self.read_count(meta, ReviewState::Invalid)?
                    >= self.max_pending as u64
                {
                    return Err(abort(StoreError::TooManyPending {
                        limit: self.max_pending,
                    }));
                }
                let sequence = match meta.get(META_NEXT_SEQUENCE)? {
                    Some(bytes) => self.decode_sequence(&bytes).map_err(abort)?,
                    None => 1,
                };
                meta.insert(META_NEXT_SEQUENCE, &(sequence + 1).to_be_bytes())?;
                let submission = evaluated
                    .clone()
                    .into_submission(SubmissionId::new(sequence), at);
                self.write(submissions, &submission)?;
                by_digest.insert(evaluated.digest.as_bytes(), &sequence.to_be_bytes())?;
                by_status.insert(&status_key(submission.status, sequence)[..], &[])?;
                self.add_count(meta, submission.status, 1)?;
                let writes = self.count_write(meta)?;
                Ok((
                    Inserted {
                        submission,
                        created: true,
                    },
                    writes,
                ))
            })
            .map_err(|e| self.transaction_error(e))?;
        let (inserted, writes) = inserted;
        if inserted.created {
            if let Err(error) = self.flush() {
                self.hide(inserted.submission.id.sequence(), None);
                return Err(error);
            }
            self.confirm(writes);
        } else {
            // The original may be a write that is not durable yet (another request's, still
            // flushing) or never will be (its flush failed): acknowledge it only once it is.
            if self
                .unflushed()
                .contains_key(&inserted.submission.id.sequence())
            {
                return Err(StoreError::NotDurable(inserted.submission.id));
            }
            self.flush()?;
        }
        Ok(inserted)
    }

    /// Removes the pending and invalid submissions created before `cutoff`: nobody reviewed
    /// them in time, and they would hold their room under the limit for ever. Reviewed ones
    /// stay. Returns how many were removed; the removal is durable when this returns.
    pub fn expire(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut expired = Vec::new();
        for status in [ReviewState::Pending, ReviewState::Invalid] {
            for key in self.by_status.scan_prefix([status_tag(status)]).keys() {
                let key = key.map_err(|e| self.engine_error(e))?;
                let sequence = self.decode_sequence(&key[1..])?;
                if let Some(submission) = self.get(SubmissionId::new(sequence))? {
                    if submission.status == status && submission.created_at < cutoff {
                        expired.push(sequence);
                    }
                }
            }
        }
        if expired.is_empty() {
            return Ok(0);
        }
        let trees = (
            &self.submissions,
            &self.by_digest,
            &self.by_status,
            &self.meta,
        );
        let (removed, writes) = trees
            .transaction(|(submissions, by_digest, by_status, meta)| {
                let mut removed = 0usize;
                for &sequence in &expired {
                    // Reviewed since the scan: it stays.
                    let Some(submission) = self.read(submissions, sequence)? else {
                        continue;
                    };
                    if !matches!(
                        submission.status,
                        ReviewState::Pending | ReviewState::Invalid
                    ) {
                        continue;
                    }
                    submissions.remove(&sequence.to_be_bytes())?;
                    by_digest.remove(submission.digest.as_bytes())?;
                    by_status.remove(&status_key(submission.status, sequence)[..])?;
                    self.add_count(meta, submission.status, -1)?;
                    removed += 1;
                }
                let writes = self.count_write(meta)?;
                Ok((removed, writes))
            })
            .map_err(|e| self.transaction_error(e))?;
        self.flush()?;
        self.confirm(writes);
        Ok(removed)
    }

    pub fn get(&self, id: SubmissionId) -> Result<Option<Submission>, StoreError> {
        if let Some(durable) = self.unflushed().get(&id.sequence()) {
            return Ok(durable.clone());
        }
        let bytes = self
            .submissions
            .get(id.sequence().to_be_bytes())
            .map_err(|e| self.engine_error(e))?;
        bytes
            .map(|bytes| self.decode(id.sequence(), &bytes))
            .transpose()
    }

    /// Submissions in submission order, optionally only those with `status`.
    pub fn list(
        &self,
        status: Option<ReviewState>,
        offset: usize,
        limit: usize,
    ) -> Result<Page, StoreError> {
        if !self.unflushed().is_empty() {
            return self.list_durable(status, offset, limit);
        }
        let mut items = Vec::new();
        match status {
            None => {
                for entry in self.submissions.iter().skip(offset).take(limit) {
                    let (key, value) = entry.map_err(|e| self.engine_error(e))?;
                    items.push(self.decode(self.decode_sequence(&key)?, &value)?);
                }
            }
            Some(status) => {
                for key in self
                    .by_status
                    .scan_prefix([status_tag(status)])
                    .keys()
                    .skip(offset)
                    .take(limit)
                {
                    let key = key.map_err(|e| self.engine_error(e))?;
                    let sequence = self.decode_sequence(&key[1..])?;
                    let submission = self.get(SubmissionId::new(sequence))?.ok_or_else(|| {
                        self.corrupt(format!(
                            "the status index names a missing submission {}",
                            SubmissionId::new(sequence)
                        ))
                    })?;
                    items.push(submission);
                }
            }
        }
        let statuses = match status {
            Some(status) => vec![status],
            None => ReviewState::ALL.to_vec(),
        };
        let mut total = 0;
        for status in statuses {
            total += self.count(status)?;
        }
        Ok(Page { items, total })
    }

    /// [`Store::list`] after a failed write: every submission read, with the versions that are
    /// on disk in place of the writes that did not get there. Slower, and only for a process
    /// that refuses writes until it restarts.
    fn list_durable(
        &self,
        status: Option<ReviewState>,
        offset: usize,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let unflushed = self.unflushed().clone();
        let mut matching = Vec::new();
        for entry in self.submissions.iter() {
            let (key, value) = entry.map_err(|e| self.engine_error(e))?;
            let sequence = self.decode_sequence(&key)?;
            let submission = match unflushed.get(&sequence) {
                Some(durable) => durable.clone(),
                None => Some(self.decode(sequence, &value)?),
            };
            if let Some(submission) = submission.filter(|s| status.is_none_or(|x| s.status == x)) {
                matching.push(submission);
            }
        }
        let total = matching.len();
        let items = matching.into_iter().skip(offset).take(limit).collect();
        Ok(Page { items, total })
    }

    fn unflushed(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Option<Submission>>> {
        self.unflushed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Hides a write that did not reach the disk; the first durable version stays.
    fn hide(&self, sequence: u64, durable: Option<Submission>) {
        self.unflushed().entry(sequence).or_insert(durable);
    }

    /// How many submissions have `status`.
    pub fn count(&self, status: ReviewState) -> Result<usize, StoreError> {
        let bytes = self
            .meta
            .get(count_key(status))
            .map_err(|e| self.engine_error(e))?;
        let count = bytes
            .map(|bytes| self.decode_sequence(&bytes))
            .transpose()?;
        Ok(usize::try_from(count.unwrap_or(0)).unwrap_or(usize::MAX))
    }

    pub fn count_pending(&self) -> Result<usize, StoreError> {
        self.count(ReviewState::Pending)
    }

    /// Approves or rejects a pending submission and records the review in its history. A
    /// second approval of the same catalog path is [`StoreError::PathTaken`].
    pub fn update_status(
        &self,
        id: SubmissionId,
        review: &Review,
    ) -> Result<Submission, StoreError> {
        let sequence = id.sequence();
        let trees = (
            &self.submissions,
            &self.by_status,
            &self.approved_paths,
            &self.meta,
        );
        let updated = trees
            .transaction(|(submissions, by_status, approved_paths, meta)| {
                let mut submission = self
                    .read(submissions, sequence)?
                    .ok_or_else(|| abort(StoreError::NotFound(id)))?;
                let previous = submission.clone();
                let before = submission.status;
                submission.apply(review).map_err(|e| abort(e.into()))?;
                if review.decision() == Decision::Approve {
                    let path = submission.path.clone().ok_or_else(|| {
                        abort(self.corrupt(format!("pending submission {id} has no path")))
                    })?;
                    if let Some(other) = approved_paths.get(path.as_bytes())? {
                        let other = self.decode_sequence(&other).map_err(abort)?;
                        return Err(abort(StoreError::PathTaken {
                            path,
                            by: SubmissionId::new(other),
                        }));
                    }
                    approved_paths.insert(path.as_bytes(), &sequence.to_be_bytes())?;
                }
                by_status.remove(&status_key(before, sequence)[..])?;
                by_status.insert(&status_key(submission.status, sequence)[..], &[])?;
                self.add_count(meta, before, -1)?;
                self.add_count(meta, submission.status, 1)?;
                self.write(submissions, &submission)?;
                let writes = self.count_write(meta)?;
                Ok((submission, writes, previous))
            })
            .map_err(|e| self.transaction_error(e))?;
        let (updated, writes, previous) = updated;
        if let Err(error) = self.flush() {
            self.hide(sequence, Some(previous));
            return Err(error);
        }
        self.confirm(writes);
        Ok(updated)
    }

    /// Makes every acknowledged write durable.
    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(|e| self.engine_error(e))
    }

    fn read(
        &self,
        submissions: &TransactionalTree,
        sequence: u64,
    ) -> Result<Option<Submission>, ConflictableTransactionError<StoreError>> {
        match submissions.get(sequence.to_be_bytes())? {
            Some(bytes) => Ok(Some(self.decode(sequence, &bytes).map_err(abort)?)),
            None => Ok(None),
        }
    }

    fn write(
        &self,
        submissions: &TransactionalTree,
        submission: &Submission,
    ) -> Result<(), ConflictableTransactionError<StoreError>> {
        let bytes = serde_json::to_vec(submission).map_err(|e| {
            abort(StoreError::Engine(format!(
                "cannot encode a submission: {e}"
            )))
        })?;
        submissions.insert(&submission.id.sequence().to_be_bytes(), bytes)?;
        Ok(())
    }

    fn read_count(
        &self,
        meta: &TransactionalTree,
        status: ReviewState,
    ) -> Result<u64, ConflictableTransactionError<StoreError>> {
        match meta.get(count_key(status))? {
            Some(bytes) => self.decode_sequence(&bytes).map_err(abort),
            None => Ok(0),
        }
    }

    fn add_count(
        &self,
        meta: &TransactionalTree,
        status: ReviewState,
        delta: i64,
    ) -> Result<(), ConflictableTransactionError<StoreError>> {
        let count = self.read_count(meta, status)?.saturating_add_signed(delta);
        meta.insert(count_key(status), &count.to_be_bytes())?;
        Ok(())
    }

    fn decode(&self, sequence: u64, bytes: &[u8]) -> Result<Submission, StoreError> {
        serde_json::from_slice(bytes).map_err(|e| {
            self.corrupt(format!(
                "submission {} cannot be read: {e}",
                SubmissionId::new(sequence)
            ))
        })
    }

    fn decode_sequence(&self, bytes: &[u8]) -> Result<u64, StoreError> {
        <[u8; 8]>::try_from(bytes)
            .map(u64::from_be_bytes)
            .map_err(|_| self.corrupt("a key or counter is not 8 bytes"))
    }

    fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        corrupt(&self.path, reason)
    }

    fn engine_error(&self, error: sled::Error) -> StoreError {
        engine_error(&self.path, error)
    }

    fn transaction_error(&self, error: TransactionError<StoreError>) -> StoreError {
        match error {
            TransactionError::Abort(error) => error,
            TransactionError::Storage(error) => self.engine_error(error),
        }
    }

    #[cfg(test)]
    fn set_stored_format(&self, format: u32) {
        self.meta
            .insert(META_FORMAT, &format.to_be_bytes())
            .unwrap();
        self.flush().unwrap();
    }
}

fn abort(error: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(error)
}

fn status_tag(status: ReviewState) -> u8 {
    match status {
        ReviewState::Pending => b'p',
        ReviewState::Invalid => b'i',
        ReviewState::Approved => b'a',
        ReviewState::Rejected => b'r',
    }
}

fn status_key(status: ReviewState, sequence: u64) -> [u8; 9] {
    let mut key = [0; 9];
    key[0] = status_tag(status);
    key[1..].copy_from_slice(&sequence.to_be_bytes());
    key
}

fn count_key(status: ReviewState) -> Vec<u8> {
    format!("count/{status}").into_bytes()
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Looks at a data directory without changing it.
fn inspect(path: &Path) -> Result<Found, StoreError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(error) => return Err(io_error(error)),
    };
    if !metadata.is_dir() {
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            reason: "it is a file, not a directory".into(),
        });
    }
    let mut names: Vec<String> = std::fs::read_dir(path)
        .map_err(io_error)?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .map_err(io_error)?;
    names.sort();
    if names.is_empty() {
        return Ok(Found::Nothing);
    }
    if !names.iter().any(|name| name == MARKER_FILE) {
        let is_sled = names
            .iter()
            .all(|name| SLED_FILES.contains(&name.as_str()) || name.starts_with("snap."));
        let reason = if is_sled {
            format!(
                "it holds a sled database but no {MARKER_FILE}: it belongs to another program, or its creation was interrupted (then it holds nothing and can be deleted)"
            )
        } else {
            let shown: Vec<String> = names.iter().take(5).map(|n| format!("`{n}`")).collect();
            format!(
                "it holds {}{} and no {MARKER_FILE}; point the data directory at a new or empty directory",
                shown.join(", "),
                if names.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            )
        };
        return Err(StoreError::Foreign {
            path: path.to_path_buf(),
            reason,
        });
    }
    let marker = read_marker(path)?;
    if marker.format > FORMAT {
        // A newer format may not even be sled's: check nothing more, touch nothing.
        return Ok(Found::Store {
            format: marker.format,
            writes: marker.writes,
        });
    }
    check_sled_files(path)?;
    Ok(Found::Store {
        format: marker.format,
        writes: marker.writes,
    })
}

fn read_marker(path: &Path) -> Result<Marker, StoreError> {
    let file = path.join(MARKER_FILE);
    let bytes = std::fs::read(&file).map_err(io_error)?;
    if bytes.len() > 4096 {
        return Err(corrupt(path, format!("{MARKER_FILE} is not a marker file")));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(path, format!("{MARKER_FILE} cannot be read: {e}")))
}

/// sled rewrites a data file it cannot make sense of as an empty database, so what it will
/// read is looked at first: its settings file must be its settings, and the data file must be
/// there.
fn check_sled_files(path: &Path) -> Result<(), StoreError> {
    let conf = std::fs::read(path.join("conf")).map_err(|error| {
        if error.kind() == io::ErrorKind::NotFound {
            corrupt(path, "sled's settings file `conf` is missing")
        } else {
            io_error(error)
        }
    })?;
    let settings = conf
        .len()
        .checked_sub(4) // a CRC follows the text
        .and_then(|end| std::str::from_utf8(&conf[..end]).ok());
    let plausible = settings.is_some_and(|text| {
        ["segment_size: ", "use_compression: ", "version: "]
            .iter()
            .all(|key| text.lines().any(|line| line.starts_with(key)))
    });
    if !plausible {
        return Err(corrupt(path, "sled's settings file `conf` is not sled's"));
    }
    match std::fs::metadata(path.join("db")) {
        Ok(metadata) if metadata.is_file() => Ok(()),
        Ok(_) => Err(corrupt(path, "sled's data file `db` is not a file")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            Err(corrupt(path, "sled's data file `db` is missing"))
        }
        Err(error) => Err(io_error(error)),
    }
}

/// Writes the marker next to sled's files: to a temporary file, synced, renamed into place,
/// and the directory synced, so it is either whole or absent.
fn write_marker(path: &Path, writes: u64) -> Result<(), StoreError> {
    let marker = Marker {
        format: FORMAT,
        about: "typehouse submissions store (sled); do not edit".into(),
        writes,
    };
    let bytes = serde_json::to_vec_pretty(&marker).expect("the marker serializes");
    // Replaced whole or not at all: synced, renamed into place, the directory synced.
    let write = || -> io::Result<()> {
        let mut file = atomic_write_file::AtomicWriteFile::open(path.join(MARKER_FILE))?;
        io::Write::write_all(&mut file, &bytes)?;
        file.commit()
    };
    write().map_err(io_error)
}

/// Opens sled; a panic inside it (it has some on inputs it does not expect) is a corrupt
/// directory, not a crash.
///
/// sled's I/O threads can hold a closed database's file lock for a moment, so a held lock is
/// waited for, about a second, before it counts as another process's.
fn open_engine(path: &Path) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(64 * 1024 * 1024);
    let mut wait = std::time::Duration::from_millis(10);
    loop {
        let opened = match std::panic::catch_unwind(AssertUnwindSafe(|| config.open())) {
            Ok(Ok(db)) => Ok(db),
            Ok(Err(error)) => Err(engine_error(path, error)),
            Err(_) => Err(corrupt(path, "the storage engine could not read it")),
        };
        match opened {
            Err(StoreError::Locked(_)) if wait < std::time::Duration::from_secs(1) => {
                std::thread::sleep(wait);
                wait *= 2;
            }
            other => return other,
        }
    }
}

fn engine_error(path: &Path, error: sled::Error) -> StoreError {
    match error {
        sled::Error::Io(error) if error.to_string().contains("could not acquire lock") => {
            StoreError::Locked(path.to_path_buf())
        }
        sled::Error::Io(error) => io_error(error),
        sled::Error::Corruption { at, .. } => corrupt(
            path,
            match at {
                Some(at) => format!("sled found damaged data at {at:?}"),
                None => "sled found damaged data".into(),
            },
        ),
        sled::Error::Unsupported(message) => corrupt(path, message),
        other => StoreError::Engine(other.to_string()),
    }
}

fn io_error(error: io::Error) -> StoreError {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StoreError::DiskFull(error),
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
            StoreError::ReadOnly(error)
        }
        _ => StoreError::Io(error),
    }
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::*;
    use crate::catalog::TypeId;
    use crate::submission::{Action, Format};

    /// A submission as `evaluate` would give it, without running the checks.
    fn evaluated(n: u64, status: ReviewState) -> Evaluated {
        Evaluated {
            type_id: TypeId::parse(&format!("acme/widget-{n}")).unwrap(),
            version: Some(semver::Version::new(1, 0, 0)),
            status,
            path: Some(format!("acme/widget-{n}/1.0.0.yaml")),
            diagnostics: Vec::new(),
            format: Format::Yaml,
            content: format!("version: 1.0.0\nname: Widget {n}\n"),
            definition: Some(
                serde_json::json!({"version": "1.0.0", "name": format!("Widget {n}")}),
            ),
            digest: format!("sha256:{n:064x}"),
        }
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(seconds)
    }

    fn new_store() -> (TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data")).unwrap();
        (dir, store)
    }

    /// Every file below `dir` with its bytes, to show a refused directory was left alone.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(next) = stack.pop() {
            for entry in std::fs::read_dir(&next).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push((path.clone(), std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn a_new_store_is_created_with_its_marker() {
        let (dir, store) = new_store();
        let marker = std::fs::read_to_string(dir.path().join("data").join(MARKER_FILE)).unwrap();
        assert!(marker.contains("\"format\": 1"), "{marker}");
        assert_eq!(store.count_pending().unwrap(), 0);
        assert_eq!(store.list(None, 0, 10).unwrap().total, 0);
    }

    #[test]
    fn an_inserted_submission_survives_a_reopen() {
        let (dir, store) = new_store();
        let inserted = store
            .insert(&evaluated(1, ReviewState::Pending), at(10))
            .unwrap();
        assert!(inserted.created);
        assert_eq!(inserted.submission.id.to_string(), "s-000000000001");
        drop(store);

        let store = Store::open_existing(&dir.path().join("data")).unwrap();
        let read = store.get(inserted.submission.id).unwrap().unwrap();
        assert_eq!(read, inserted.submission);
        assert_eq!(read.created_at, at(10));
        assert_eq!(store.count_pending().unwrap(), 1);
        // The sequence continues where it stopped.
        let next = store
            .insert(&evaluated(2, ReviewState::Pending), at(11))
            .unwrap();
        assert_eq!(next.submission.id, SubmissionId::new(2));
    }

    #[test]
    fn the_same_content_returns_the_existing_submission() {
        let (_dir, store) = new_store();
        let first = store
            .insert(&evaluated(1, ReviewState::Pending), at(10))
            .unwrap();
        let second = store
            .insert(&evaluated(1, ReviewState::Pending), at(20))
            .unwrap();
        assert!(!second.created);
        assert_eq!(second.submission, first.submission);
        assert_eq!(store.list(None, 0, 10).unwrap().total, 1);
        assert_eq!(store.count_pending().unwrap(), 1);
    }

    #[test]
    fn submissions_list_in_submission_order_with_pages_and_totals() {
        let (_dir, store) = new_store();
        for n in 1..=7 {
            let status = if n % 3 == 0 {
                ReviewState::Invalid
            } else {
                ReviewState::Pending
            };
            store.insert(&evaluated(n, status), at(n as i64)).unwrap();
        }
        let ids =
            |page: &Page| -> Vec<String> { page.items.iter().map(|s| s.id.to_string()).collect() };
        let all = store.list(None, 0, 100).unwrap();
        assert_eq!(all.total, 7);
        let mut sorted = ids(&all);
        sorted.sort();
        assert_eq!(ids(&all), sorted);
        assert_eq!(
            all.items
                .iter()
                .map(|s| s.id.sequence())
                .collect::<Vec<_>>(),
            (1..=7).collect::<Vec<_>>()
        );

        let page = store.list(None, 2, 3).unwrap();
        assert_eq!((page.total, ids(&page)), (7, ids(&all)[2..5].to_vec()));

        let pending = store.list(Some(ReviewState::Pending), 1, 2).unwrap();
        assert_eq!(pending.total, 5);
        assert_eq!(
            pending
                .items
                .iter()
                .map(|s| s.id.sequence())
                .collect::<Vec<_>>(),
            vec![2, 4]
        );
        let invalid = store.list(Some(ReviewState::Invalid), 0, 10).unwrap();
        assert_eq!(
            invalid
                .items
                .iter()
                .map(|s| s.id.sequence())
                .collect::<Vec<_>>(),
            vec![3, 6]
        );
        assert_eq!(
            store
                .list(Some(ReviewState::Approved), 0, 10)
                .unwrap()
                .total,
            0
        );
        assert_eq!(store.list(None, 50, 10).unwrap().items, Vec::new());
    }

    #[test]
    fn a_duplicate_of_a_submission_that_is_not_durable_is_not_acknowledged() {
        let (_dir, store) = new_store();
        let first = store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        // As a failed flush leaves it: applied in memory, never made durable.
        store.hide(first.submission.id.sequence(), None);
        match store.insert(&evaluated(1, ReviewState::Pending), at(2)) {
            Err(StoreError::NotDurable(id)) => assert_eq!(id, first.submission.id),
            other => panic!("expected NotDurable, got {other:?}"),
        }
    }

    #[test]
    fn unreviewed_submissions_expire_and_free_their_room() {
        let (_dir, store) = new_store();
        let store = store.with_max_pending(3);
        store
            .insert(&evaluated(1, ReviewState::Pending), at(10))
            .unwrap();
        store
            .insert(&evaluated(2, ReviewState::Invalid), at(20))
            .unwrap();
        store
            .insert(&evaluated(3, ReviewState::Pending), at(30))
            .unwrap();
        let review = Review::approve("alice", None, at(31)).unwrap();
        store.update_status(SubmissionId::new(3), &review).unwrap();
        store
            .insert(&evaluated(4, ReviewState::Pending), at(40))
            .unwrap();

        assert_eq!(store.expire(at(25)).unwrap(), 2);
        assert_eq!(store.get(SubmissionId::new(1)).unwrap(), None);
        assert_eq!(store.get(SubmissionId::new(2)).unwrap(), None);
        // Reviewed ones stay, and so do the recent ones.
        assert!(store.get(SubmissionId::new(3)).unwrap().is_some());
        assert!(store.get(SubmissionId::new(4)).unwrap().is_some());
        assert_eq!(store.count(ReviewState::Pending).unwrap(), 1);
        assert_eq!(store.count(ReviewState::Invalid).unwrap(), 0);
        assert_eq!(store.list(None, 0, 10).unwrap().total, 2);
        // The same content may be submitted again, as a new submission.
        let again = store
            .insert(&evaluated(1, ReviewState::Pending), at(50))
            .unwrap();
        assert!(again.created);
        assert_eq!(store.expire(at(25)).unwrap(), 0);
        // The removal is durable.
        let path = store.path().to_path_buf();
        drop(store);
        let reopened = Store::open(&path).unwrap();
        assert_eq!(reopened.get(SubmissionId::new(2)).unwrap(), None);
        assert_eq!(reopened.count(ReviewState::Pending).unwrap(), 2);
    }

    #[test]
    fn pending_submissions_are_limited() {
        let (_dir, store) = new_store();
        let store = store.with_max_pending(2);
        store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        store
            .insert(&evaluated(2, ReviewState::Pending), at(2))
            .unwrap();
        match store.insert(&evaluated(3, ReviewState::Pending), at(3)) {
            Err(StoreError::TooManyPending { limit: 2 }) => {}
            other => panic!("expected TooManyPending, got {other:?}"),
        }
        // A resubmission is not a new one; an invalid submission takes room as a pending one
        // does (it is kept for its submitter to read).
        assert!(
            !store
                .insert(&evaluated(1, ReviewState::Pending), at(4))
                .unwrap()
                .created
        );
        match store.insert(&evaluated(4, ReviewState::Invalid), at(5)) {
            Err(StoreError::TooManyPending { limit: 2 }) => {}
            other => panic!("expected TooManyPending for an invalid one, got {other:?}"),
        }
        // A review frees a place; the refused submission took no id.
        let review = Review::reject("alice", "not an artifact type", at(6)).unwrap();
        store.update_status(SubmissionId::new(1), &review).unwrap();
        let admitted = store
            .insert(&evaluated(3, ReviewState::Pending), at(7))
            .unwrap();
        assert_eq!(admitted.submission.id, SubmissionId::new(3));
    }

    #[test]
    fn reviews_are_recorded_and_survive_a_reopen() {
        let (dir, store) = new_store();
        store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        store
            .insert(&evaluated(2, ReviewState::Pending), at(2))
            .unwrap();
        let approve = Review::approve("alice", None, at(10)).unwrap();
        let approved = store.update_status(SubmissionId::new(1), &approve).unwrap();
        assert_eq!(approved.status, ReviewState::Approved);
        let reject = Review::reject("bob", "a duplicate of cncf/helm-chart", at(11)).unwrap();
        store.update_status(SubmissionId::new(2), &reject).unwrap();
        drop(store);

        let store = Store::open(&dir.path().join("data")).unwrap();
        let rejected = store.get(SubmissionId::new(2)).unwrap().unwrap();
        assert_eq!(rejected.status, ReviewState::Rejected);
        let last = rejected.history.last().unwrap();
        assert_eq!(
            (
                last.action,
                last.who.as_deref(),
                last.reason.as_deref(),
                last.at
            ),
            (
                Action::Rejected,
                Some("bob"),
                Some("a duplicate of cncf/helm-chart"),
                at(11)
            )
        );
        assert_eq!(store.count_pending().unwrap(), 0);
        assert_eq!(store.count(ReviewState::Approved).unwrap(), 1);
        assert_eq!(store.count(ReviewState::Rejected).unwrap(), 1);
        let approved = store.list(Some(ReviewState::Approved), 0, 10).unwrap();
        assert_eq!(approved.items[0].id, SubmissionId::new(1));
        assert_eq!(
            store.list(Some(ReviewState::Pending), 0, 10).unwrap().total,
            0
        );

        match store.update_status(SubmissionId::new(1), &reject) {
            Err(StoreError::Review(ReviewError::NotPending { status, .. })) => {
                assert_eq!(status, ReviewState::Approved)
            }
            other => panic!("expected NotPending, got {other:?}"),
        }
        assert_eq!(
            store
                .get(SubmissionId::new(1))
                .unwrap()
                .unwrap()
                .history
                .len(),
            2
        );
        assert!(matches!(
            store.update_status(SubmissionId::new(99), &reject),
            Err(StoreError::NotFound(_))
        ));
    }

    #[test]
    fn one_path_is_approved_once() {
        let (_dir, store) = new_store();
        let mut other = evaluated(2, ReviewState::Pending);
        other.path = evaluated(1, ReviewState::Pending).path;
        store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        store.insert(&other, at(2)).unwrap();
        let approve = Review::approve("alice", None, at(3)).unwrap();
        store.update_status(SubmissionId::new(1), &approve).unwrap();
        match store.update_status(SubmissionId::new(2), &approve) {
            Err(StoreError::PathTaken { path, by }) => {
                assert_eq!(path, "acme/widget-1/1.0.0.yaml");
                assert_eq!(by, SubmissionId::new(1));
            }
            other => panic!("expected PathTaken, got {other:?}"),
        }
        // Nothing of the refused approval was written.
        let second = store.get(SubmissionId::new(2)).unwrap().unwrap();
        assert_eq!(
            (second.status, second.history.len()),
            (ReviewState::Pending, 1)
        );
        assert_eq!(store.count_pending().unwrap(), 1);
    }

    #[test]
    fn approved_submissions_export_into_a_catalog_that_passes_the_check() {
        use crate::catalog::{Catalog, CatalogFiles, check};
        use crate::submission::{self, Exported};

        let catalog = Catalog::load(CatalogFiles::embedded()).unwrap().0;
        let files = catalog.files().unwrap();
        let published = files.bytes("cncf/helm-chart/1.0.0.yaml").unwrap();
        let text = String::from_utf8(published.to_vec())
            .unwrap()
            .replace("version: 1.0.0\n", "version: 1.1.0\n");
        let evaluated =
            submission::evaluate(&catalog, "cncf/helm-chart", text.as_bytes(), Format::Yaml)
                .unwrap();
        assert_eq!(
            evaluated.status,
            ReviewState::Pending,
            "{:?}",
            evaluated.diagnostics
        );

        let (dir, store) = new_store();
        let id = store.insert(&evaluated, at(1)).unwrap().submission.id;
        let approve = Review::approve("alice", None, at(2)).unwrap();
        store.update_status(id, &approve).unwrap();
        drop(store);

        let store = Store::open_existing(&dir.path().join("data")).unwrap();
        let approved = store
            .list(Some(ReviewState::Approved), 0, usize::MAX)
            .unwrap();
        let out = dir.path().join("types");
        catalog.files().unwrap().write_to(&out).unwrap();
        let exported = submission::export(&approved.items, &out).unwrap();
        assert_eq!(
            exported,
            vec![Exported::Written("cncf/helm-chart/1.1.0.yaml".into())]
        );
        let files = CatalogFiles::read_dir(&out).unwrap();
        let errors: Vec<String> = check::check(&files, Some(&catalog.files().unwrap()))
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors, Vec::<String>::new());
    }

    #[test]
    fn a_store_open_elsewhere_is_locked() {
        let (dir, _store) = new_store();
        assert!(matches!(
            Store::open(&dir.path().join("data")),
            Err(StoreError::Locked(_))
        ));
    }

    #[test]
    fn open_existing_refuses_to_create() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Store::open_existing(&dir.path().join("nothing")),
            Err(StoreError::Missing(_))
        ));
        assert!(!dir.path().join("nothing").exists());
        assert!(matches!(
            Store::open_existing(dir.path()),
            Err(StoreError::Missing(_))
        ));
    }

    #[test]
    fn a_directory_of_other_files_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "my notes").unwrap();
        std::fs::write(dir.path().join("garbage.bin"), [0u8, 1, 2, 3, 255]).unwrap();
        let before = snapshot(dir.path());
        let error = Store::open(dir.path()).unwrap_err();
        assert!(matches!(error, StoreError::Foreign { .. }), "{error:?}");
        assert!(error.to_string().contains("`garbage.bin`"), "{error}");
        assert_eq!(snapshot(dir.path()), before);

        let file = dir.path().join("notes.txt");
        assert!(matches!(
            Store::open(&file),
            Err(StoreError::Foreign { .. })
        ));
    }

    #[test]
    fn files_named_like_sleds_without_a_marker_are_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("db"), "not a database\n".repeat(100)).unwrap();
        std::fs::write(dir.path().join("conf"), "not sled's settings\n").unwrap();
        let before = snapshot(dir.path());
        let error = Store::open(dir.path()).unwrap_err();
        assert!(matches!(error, StoreError::Foreign { .. }), "{error:?}");
        assert!(error.to_string().contains("sled database"), "{error}");
        assert_eq!(snapshot(dir.path()), before);
    }

    #[test]
    fn a_damaged_settings_file_is_refused_untouched() {
        let (dir, store) = new_store();
        store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        drop(store);
        let data = dir.path().join("data");
        std::fs::write(data.join("conf"), "garbage").unwrap();
        let before = snapshot(&data);
        let error = Store::open(&data).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
        assert_eq!(snapshot(&data), before);

        std::fs::remove_file(data.join("conf")).unwrap();
        assert!(matches!(
            Store::open(&data),
            Err(StoreError::Corrupt { .. })
        ));
    }

    /// Removes sled's snapshot files, so that it must read `db` itself on the next open.
    fn remove_snapshots(dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
            {
                std::fs::remove_file(path).unwrap();
            }
        }
    }

    #[test]
    fn a_damaged_data_file_is_an_error_not_a_fresh_start() {
        let (dir, store) = new_store();
        store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        drop(store);
        let data = dir.path().join("data");
        std::fs::write(data.join("db"), "not a database\n".repeat(1000)).unwrap();
        remove_snapshots(&data);
        for _ in 0..2 {
            let error = Store::open(&data).unwrap_err();
            assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
        }

        std::fs::remove_file(data.join("db")).unwrap();
        assert!(matches!(
            Store::open(&data),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_database_that_lost_acknowledged_writes_is_refused() {
        let (dir, store) = new_store();
        let data = dir.path().join("data");
        // A copy taken after the first write, then more writes and a review.
        store
            .insert(&evaluated(1, ReviewState::Pending), at(1))
            .unwrap();
        let old = tempfile::tempdir().unwrap();
        drop(store);
        for file in ["conf", "db"] {
            std::fs::copy(data.join(file), old.path().join(file)).unwrap();
        }
        let store = Store::open(&data).unwrap();
        store
            .insert(&evaluated(2, ReviewState::Pending), at(2))
            .unwrap();
        let review = Review::reject("bob", "not a type", at(3)).unwrap();
        store.update_status(SubmissionId::new(1), &review).unwrap();
        drop(store);
        let marker = std::fs::read_to_string(data.join(MARKER_FILE)).unwrap();
        assert!(marker.contains("\"writes\": 3"), "{marker}");
        // Reopening the intact store works, any number of times.
        drop(Store::open(&data).unwrap());

        // The data file replaced by the older copy: sled reads it as the database it was.
        let replaced = tempfile::tempdir().unwrap();
        copy(&data, replaced.path());
        for file in ["conf", "db"] {
            std::fs::copy(old.path().join(file), replaced.path().join(file)).unwrap();
        }
        remove_snapshots(replaced.path());
        let error = Store::open(replaced.path()).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
        assert!(error.to_string().contains("3 were stored"), "{error}");

        // The data file cut short: either all of it is still there, or the store is refused.
        for divisor in [2, 3, 8, 32, 1000] {
            let truncated = tempfile::tempdir().unwrap();
            copy(&data, truncated.path());
            let db = truncated.path().join("db");
            let bytes = std::fs::read(&db).unwrap();
            std::fs::write(&db, &bytes[..bytes.len() / divisor]).unwrap();
            remove_snapshots(truncated.path());
            match Store::open(truncated.path()) {
                Err(StoreError::Corrupt { .. }) => {}
                Ok(store) => {
                    assert_eq!(store.list(None, 0, 10).unwrap().total, 2, "1/{divisor}");
                    let first = store.get(SubmissionId::new(1)).unwrap().unwrap();
                    assert_eq!(first.status, ReviewState::Rejected, "1/{divisor}");
                }
                Err(other) => panic!("1/{divisor}: expected Corrupt, got {other:?}"),
            }
        }
    }

    fn copy(from: &Path, to: &Path) {
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            } else {
                std::fs::create_dir_all(to.join(entry.file_name())).unwrap();
            }
        }
    }

    #[test]
    fn an_unreadable_marker_is_corrupt() {
        let (dir, store) = new_store();
        drop(store);
        let data = dir.path().join("data");
        std::fs::write(data.join(MARKER_FILE), "{\"format\": \"one\"}").unwrap();
        assert!(matches!(
            Store::open(&data),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_newer_format_in_the_marker_is_refused_untouched() {
        let (dir, store) = new_store();
        drop(store);
        let data = dir.path().join("data");
        std::fs::write(data.join(MARKER_FILE), "{\"format\": 2}").unwrap();
        let before = snapshot(&data);
        match Store::open(&data) {
            Err(StoreError::NewerFormat {
                found: 2,
                supported: FORMAT,
                ..
            }) => {}
            other => panic!("expected NewerFormat, got {other:?}"),
        }
        assert_eq!(snapshot(&data), before);
    }

    #[test]
    fn a_newer_format_in_the_database_is_refused() {
        let (dir, store) = new_store();
        store.set_stored_format(FORMAT + 1);
        drop(store);
        let error = Store::open(&dir.path().join("data")).unwrap_err();
        assert!(
            matches!(error, StoreError::NewerFormat { found, .. } if found == FORMAT + 1),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("run a newer typehouse"),
            "{error}"
        );
    }
}
