//! Importing bookmark files: validating a parsed file into rows, writing them in batches inside
//! one transaction (at once, or in the background with progress on the event bus), and telling a
//! running background import from one abandoned by a stopped instance. Knows nothing of GraphQL.

use std::{collections::HashSet, io::Read};

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use uuid::Uuid;

use crate::{
    auth::viewer::AuthenticatedUser,
    bookmarks::{
        model::{
            cut_text, imported_folder, imported_tags, BookmarkImport, ImportProgress, ImportStatus,
            NewBookmark, NewBookmarkImport, SkippedItem, MAX_NOTES_CHARS, MAX_TITLE_CHARS,
        },
        record::FileBookmark,
        store::{self, ImportOutcome},
        transfer::{self, BookmarkFormat},
        url::BookmarkUrl,
    },
    config::BookmarkPolicy,
    error::{bad_input, not_found, AppResult},
    events::{bus::BusMessage, BusEvent, EventBus, Topic},
    state::AppState,
    work,
};

/// A background import takes its lock within milliseconds of being recorded; one still RUNNING
/// without it after this long was abandoned by a stopped instance.
const ABANDONED_IMPORT_GRACE_SECONDS: i64 = 30;
/// How long a progress subscriber waits in silence before checking the row itself.
const IMPORT_RECHECK: std::time::Duration = std::time::Duration::from_secs(15);

/// An import as it stands, with an abandoned RUNNING one settled as FAILED.
pub async fn current_import(
    state: &AppState,
    viewer: &AuthenticatedUser,
    import_id: Uuid,
) -> AppResult<BookmarkImport> {
    let mut connection = state.pool.get().await?;
    let import = store::find_import(&mut connection, import_id)
        .await?
        .filter(|import| import.owner_id == viewer.user_id())
        .ok_or_else(|| not_found("bookmark import"))?;
    drop(connection);
    settle_if_abandoned(state, import).await
}

/// Marks `import` FAILED when it is RUNNING but its instance stopped mid-way; the check that
/// no transaction holds its lock any more needs a transaction of its own.
async fn settle_if_abandoned(
    state: &AppState,
    import: BookmarkImport,
) -> AppResult<BookmarkImport> {
    let grace = chrono::Duration::seconds(ABANDONED_IMPORT_GRACE_SECONDS);
    if !import.may_be_abandoned(grace) {
        return Ok(import);
    }
    work::run(state, async |change| {
        store::fail_if_abandoned(&mut change.db, import, grace).await
    })
    .await
}

/// A validated import file: rows to insert (unique within the file) and what was set aside.
pub struct PreparedImport {
    pub total: usize,
    pub rows: Vec<NewBookmark>,
    pub skipped: Vec<SkippedItem>,
}

impl PreparedImport {
    pub fn import_row(
        &self,
        owner_id: Uuid,
        format: BookmarkFormat,
        status: ImportStatus,
    ) -> NewBookmarkImport {
        NewBookmarkImport {
            id: Uuid::now_v7(),
            owner_id,
            format,
            status,
            total: self.total as i32,
            processed: 0,
            imported: 0,
            duplicates: 0,
            skipped: serde_json::to_value(&self.skipped).unwrap_or_default(),
            finished_at: None,
        }
    }
}

/// Reads, parses and validates an uploaded file (blocking: runs off the async threads).
pub fn read_import_file(
    mut file: std::fs::File,
    format: BookmarkFormat,
    policy: BookmarkPolicy,
    owner_id: Uuid,
) -> AppResult<PreparedImport> {
    let mut bytes = Vec::new();
    file.by_ref()
        .take(policy.import_max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| bad_input("file", "the uploaded file could not be read"))?;
    if bytes.len() > policy.import_max_bytes {
        return Err(bad_input(
            "file",
            format!(
                "an import file may be at most {} bytes",
                policy.import_max_bytes
            ),
        ));
    }
    let records =
        transfer::parse_file(format, &bytes).map_err(|reason| bad_input("file", reason))?;
    if records.len() > policy.import_max_items {
        return Err(bad_input(
            "file",
            format!(
                "the file holds {} bookmarks; an import may hold at most {}",
                records.len(),
                policy.import_max_items
            ),
        ));
    }
    Ok(prepare_import(records, owner_id))
}

fn prepare_import(records: Vec<FileBookmark>, owner_id: Uuid) -> PreparedImport {
    let total = records.len();
    let mut seen: HashSet<String> = HashSet::with_capacity(total);
    let mut rows = Vec::with_capacity(total);
    let mut skipped = Vec::new();
    let now = Utc::now();
    for (position, record) in records.into_iter().enumerate() {
        let url = match BookmarkUrl::parse(&record.url) {
            Ok(url) => url,
            Err(reason) => {
                skipped.push(SkippedItem {
                    position,
                    url: record.url.chars().take(200).collect(),
                    title: cut_text(&record.title, 200),
                    reason,
                });
                continue;
            }
        };
        if !seen.insert(url.normalized.clone()) {
            continue;
        }
        let title = cut_text(&record.title, MAX_TITLE_CHARS);
        rows.push(NewBookmark {
            notes: cut_text(&record.notes, MAX_NOTES_CHARS),
            tags: imported_tags(&record.tags),
            folder: imported_folder(&record.folder),
            ..NewBookmark::of(owner_id, url, title, record.created_at.unwrap_or(now))
        });
    }
    PreparedImport {
        total,
        rows,
        skipped,
    }
}

/// Inserts in batches inside the caller's transaction, calling `progress` with the rows done.
async fn insert_batches(
    connection: &mut AsyncPgConnection,
    rows: &[NewBookmark],
    policy: BookmarkPolicy,
    mut progress: impl FnMut(usize) + Send,
) -> AppResult<usize> {
    let mut inserted = 0;
    let mut done = 0;
    for batch in rows.chunks(policy.import_batch_size) {
        inserted += store::insert_batch(connection, batch).await?;
        done += batch.len();
        progress(done);
    }
    Ok(inserted)
}

/// Runs a large import in one transaction, publishing progress after each batch; the final
/// report is written in the same transaction (or, when it fails, FAILED afterwards). Progress
/// goes out while the transaction is open, as it is about the import itself; publishing only
/// queues the event, so no network wait happens under the import's lock.
pub async fn run_background_import(
    state: AppState,
    import: BookmarkImport,
    prepared: PreparedImport,
) {
    let policy = state.settings.bookmarks;
    let mut progress = ImportProgress::of(&import);
    let set_aside = prepared.total - prepared.rows.len();
    let result = work::run(&state, async |change| {
        store::hold_import_lock(&mut change.db, import.id).await?;
        let announce = |done: usize| {
            let mut update = progress.clone();
            update.processed = (set_aside + done) as i32;
            announce_progress(&state.events, &update);
        };
        let imported = insert_batches(&mut change.db, &prepared.rows, policy, announce).await?;
        let duplicates = prepared.total - prepared.skipped.len() - imported;
        store::finish_import(
            &mut change.db,
            import.id,
            ImportStatus::Completed,
            ImportOutcome {
                processed: prepared.total as i32,
                imported: imported as i32,
                duplicates: duplicates as i32,
                skipped: &import.skipped,
                error: None,
            },
        )
        .await
    })
    .await;
    let finished = match result {
        Ok(finished) => finished,
        Err(error) => {
            tracing::error!(import_id = %import.id, error = ?error, "background bookmark import failed");
            match mark_failed(&state, &import).await {
                Ok(failed) => failed,
                Err(_) => {
                    progress.status = ImportStatus::Failed;
                    announce_progress(&state.events, &progress);
                    return;
                }
            }
        }
    };
    announce_progress(&state.events, &ImportProgress::of(&finished));
    let settled = async {
        let mut connection = state.pool.get().await?;
        store::settle_after_bulk_import(&mut connection).await
    };
    if let Err(error) = settled.await {
        tracing::warn!(error = ?error, "index maintenance after a bookmark import failed");
    }
}

async fn mark_failed(state: &AppState, import: &BookmarkImport) -> AppResult<BookmarkImport> {
    work::run(state, async |change| {
        store::finish_import(
            &mut change.db,
            import.id,
            ImportStatus::Failed,
            ImportOutcome {
                processed: 0,
                imported: 0,
                duplicates: 0,
                skipped: &import.skipped,
                error: Some("the import could not be written; nothing was imported"),
            },
        )
        .await
    })
    .await
}

/// Follows one import: its state when subscribed, then each published update until final.
pub struct ImportWatch {
    state: AppState,
    import_id: Uuid,
    receiver: Receiver<BusMessage>,
    current: Option<ImportProgress>,
    finished: bool,
}

impl ImportWatch {
    pub fn new(state: AppState, import: &BookmarkImport, receiver: Receiver<BusMessage>) -> Self {
        ImportWatch {
            state,
            import_id: import.id,
            receiver,
            current: Some(ImportProgress::of(import)),
            finished: false,
        }
    }

    pub async fn next(&mut self) -> Option<ImportProgress> {
        if self.finished {
            return None;
        }
        let progress = match self.current.take() {
            Some(progress) => progress,
            None => self.next_update().await?,
        };
        self.finished = progress.status.is_final();
        Some(progress)
    }

    async fn next_update(&mut self) -> Option<ImportProgress> {
        loop {
            let Ok(received) = tokio::time::timeout(IMPORT_RECHECK, self.receiver.recv()).await
            else {
                // Quiet for a while: the instance running it may have stopped; the row knows.
                let row = self.reread().await?;
                if row.status.is_final() {
                    return Some(row);
                }
                continue;
            };
            match received {
                Ok(BusMessage::Event(event)) => {
                    if let Some(progress) = event.decode_notice::<ImportProgress>() {
                        return Some(progress);
                    }
                }
                // Updates may have been missed: the row has the truth once the import is done.
                Ok(BusMessage::Resync) | Err(RecvError::Lagged(_)) => {
                    let row = self.reread().await?;
                    if row.status.is_final() {
                        return Some(row);
                    }
                }
                // Only project topics carry log heads.
                Ok(BusMessage::LogHead(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    }

    async fn reread(&self) -> Option<ImportProgress> {
        let mut connection = self.state.pool.get().await.ok()?;
        let row = store::find_import(&mut connection, self.import_id)
            .await
            .ok()??;
        drop(connection);
        let row = settle_if_abandoned(&self.state, row).await.ok()?;
        Some(ImportProgress::of(&row))
    }
}

/// Writes a small import in one transaction and records its report.
pub async fn import_now(
    state: &AppState,
    prepared: &PreparedImport,
    owner_id: Uuid,
    format: BookmarkFormat,
) -> AppResult<BookmarkImport> {
    let policy = state.settings.bookmarks;
    work::run(state, async |change| {
        let imported = insert_batches(&mut change.db, &prepared.rows, policy, |_| ()).await?;
        let mut row = prepared.import_row(owner_id, format, ImportStatus::Completed);
        row.imported = imported as i32;
        row.duplicates = (prepared.total - prepared.skipped.len() - imported) as i32;
        row.processed = prepared.total as i32;
        row.finished_at = Some(Utc::now());
        store::insert_import(&mut change.db, &row).await
    })
    .await
}

/// Tells the import's followers on every instance how far it got.
fn announce_progress(events: &EventBus, progress: &ImportProgress) {
    match BusEvent::notice(Topic::BookmarkImport(progress.import_id), progress) {
        Ok(notice) => events.publish(notice),
        Err(error) => tracing::error!(%error, "import progress could not be announced"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bookmarks::url::UrlProblem;

    #[test]
    fn an_import_sets_aside_unsafe_urls_and_repeats() {
        let record = |url: &str| FileBookmark {
            url: url.to_string(),
            title: "t".into(),
            tags: vec![],
            folder: vec![],
            notes: String::new(),
            created_at: None,
        };
        let prepared = prepare_import(
            vec![
                record("https://a.example/"),
                record("javascript:alert(1)"),
                record("https://A.example/#x"),
                record("nonsense"),
            ],
            Uuid::nil(),
        );
        assert_eq!(prepared.total, 4);
        assert_eq!(prepared.rows.len(), 1);
        let reasons: Vec<_> = prepared.skipped.iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            vec![UrlProblem::UnsafeScheme, UrlProblem::MalformedUrl]
        );
    }
}
