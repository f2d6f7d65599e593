//! The graph the engine works on: nodes with a component and a config, and connections from an
//! output port to an input port. Ids are opaque strings to the engine.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    pub component: String,
    pub config: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortRef {
    pub node_id: String,
    pub port: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Connection {
    pub from: PortRef,
    pub to: PortRef,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub connections: Vec<Connection>,
}

impl Graph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// Node ids in a topological order (ties broken by the nodes' order in the graph, so the
    /// order is deterministic), or the ids of the nodes left on cycles.
    pub fn topological_order(&self) -> Result<Vec<String>, Vec<String>> {
        let index: HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(position, node)| (node.id.as_str(), position))
            .collect();
        let mut indegree = vec![0usize; self.nodes.len()];
        let mut successors: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for connection in &self.connections {
            let (Some(&from), Some(&to)) = (
                index.get(connection.from.node_id.as_str()),
                index.get(connection.to.node_id.as_str()),
            ) else {
                continue;
            };
            successors[from].push(to);
            indegree[to] += 1;
        }
        let mut ready: std::collections::BTreeSet<usize> = (0..self.nodes.len())
            .filter(|&position| indegree[position] == 0)
            .collect();
        let mut order = Vec::with_capacity(self.nodes.len());
        while let Some(position) = ready.pop_first() {
            order.push(position);
            for &next in &successors[position] {
                indegree[next] -= 1;
                if indegree[next] == 0 {
                    ready.insert(next);
                }
            }
        }
        if order.len() == self.nodes.len() {
            Ok(order
                .into_iter()
                .map(|position| self.nodes[position].id.clone())
                .collect())
        } else {
            Err((0..self.nodes.len())
                .filter(|position| indegree[*position] > 0)
                .map(|position| self.nodes[position].id.clone())
                .collect())
        }
    }

    /// Incoming connections of each node, keyed by input port.
    pub fn inputs_of(&self, node_id: &str) -> BTreeMap<&str, Vec<&PortRef>> {
        let mut inputs: BTreeMap<&str, Vec<&PortRef>> = BTreeMap::new();
        for connection in &self.connections {
            if connection.to.node_id == node_id {
                inputs
                    .entry(connection.to.port.as_str())
                    .or_default()
                    .push(&connection.from);
            }
        }
        inputs
    }
}
