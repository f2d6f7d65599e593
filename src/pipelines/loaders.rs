//! Batched pipeline lookups: pipelines by id, and each pipeline's nodes and connections.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use crate::{
    db::DbPool,
    error::AppError,
    graphql::loaders::RequestLoad,
    pipelines::{
        model::{Pipeline, PipelineConnection, PipelineNode},
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
