//! Where a request came from, as its transport reported it. Recorded on the sessions a request
//! creates and in the audit log; it proves nothing about identity.

/// Where a request came from; recorded on the sessions it creates and in the audit log.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// The client of the GraphQL request being resolved (unknown when the transport gave none).
    pub fn from_ctx(ctx: &async_graphql::Context<'_>) -> ClientInfo {
        ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
    }
}
