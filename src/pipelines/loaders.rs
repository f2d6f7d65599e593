//! Batched pipeline lookups: pipelines by id, each pipeline's nodes and connections, pages of
//! its runs.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use crate::{
    db::DbPool,
    error::AppError,
    graphql::loaders::{parents_by_page, RequestLoad},
    pipelines::{
        model::{Pipeline, PipelineConnection, PipelineNode, PipelineRun},
        queue::{self, RunCursor},
        store as pipeline_store,
    },
};

pub struct PipelineLoader {
    pool: DbPool,
}

impl Loader<Uuid> for PipelineLoader {
    type Value = Pipeline;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let pipelines = pipeline_store::find_by_ids(&mut connection, ids).await?;
        Ok(pipelines
            .into_iter()
            .map(|pipeline| (pipeline.id, pipeline))
            .collect())
    }
}

impl RequestLoad for PipelineLoader {
    fn new(pool: DbPool) -> Self {
        PipelineLoader { pool }
    }
}

/// Nodes and connections of a pipeline: two statements for every pipeline asked.
pub struct PipelineGraphLoader {
    pool: DbPool,
}

pub type PipelineGraph = (Vec<PipelineNode>, Vec<PipelineConnection>);

impl Loader<Uuid> for PipelineGraphLoader {
    type Value = PipelineGraph;
    type Error = AppError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, PipelineGraph>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let mut graphs: HashMap<Uuid, PipelineGraph> =
            ids.iter().map(|id| (*id, Default::default())).collect();
        for node in pipeline_store::nodes_of(&mut connection, ids).await? {
            graphs.entry(node.pipeline_id).or_default().0.push(node);
        }
        for wire in pipeline_store::connections_of(&mut connection, ids).await? {
            graphs.entry(wire.pipeline_id).or_default().1.push(wire);
        }
        Ok(graphs)
    }
}

impl RequestLoad for PipelineGraphLoader {
    fn new(pool: DbPool) -> Self {
        PipelineGraphLoader { pool }
    }
}

/// Which page of a pipeline's runs: after `after` (none: the newest), `limit` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunPage {
    pub after: Option<RunCursor>,
    pub limit: i64,
}

/// One page of a pipeline's runs, newest first, with one run more than the page when there are
/// more; keys asking the same page of different pipelines share a statement, so
/// `pipelines { runs }` is one statement for the listed pipelines, not one per pipeline.
pub struct RunPageLoader {
    pool: DbPool,
}

impl Loader<(Uuid, RunPage)> for RunPageLoader {
    type Value = Vec<PipelineRun>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(Uuid, RunPage)],
    ) -> Result<HashMap<(Uuid, RunPage), Self::Value>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let mut pages: HashMap<_, Self::Value> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (page, pipeline_ids) in parents_by_page(keys) {
            let runs =
                queue::run_pages(&mut connection, &pipeline_ids, page.after, page.limit).await?;
            for run in runs {
                if let Some(runs) = pages.get_mut(&(run.pipeline_id, page)) {
                    runs.push(run);
                }
            }
        }
        for runs in pages.values_mut() {
            runs.sort_unstable_by_key(|run| std::cmp::Reverse((run.queued_at, run.id)));
        }
        Ok(pages)
    }
}

impl RequestLoad for RunPageLoader {
    fn new(pool: DbPool) -> Self {
        RunPageLoader { pool }
    }
}
