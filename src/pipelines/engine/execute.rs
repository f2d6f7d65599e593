//! Execution: rows stream through the graph. Sources are read one after another, in
//! topological order, and each row is pushed downstream as soon as it is read: row-at-a-time
//! operators pass it on at once (moved to one consumer, cloned for the others), while sort
//! and aggregate hold their rows until their input ends. A node ends when every node feeding it
//! has ended, so `NodeFinished` events come in a topological order; `NodeStarted` comes when a
//! node first sees a row, so downstream nodes light up while their sources are still reading.
//!
//! A node with several inputs reads them in a fixed order: a port's connections in graph order,
//! a join's right side before its left, a union's first input before its second. Rows that
//! arrive early wait in their input's buffer, so the output is the same as if each node had run
//! whole, one after another. A limit that has all its rows wants no more, nor then do the nodes
//! that only feed it, and a source nobody wants rows from stops reading.
//!
//! The work is a stack of steps, not nested calls: the top step runs first, so a row still
//! travels as far down the graph as it can before the next is read, but a long chain of nodes
//! costs heap, not call stack.
//!
//! The caller supplies the rows of database-backed sources, an `interrupted` check
//! (cancellation, timeout, lost lease) polled every few thousand rows, and an observer told when
//! each node starts and ends.

use std::collections::HashMap;

use serde_json::Value;

// Defined beside the `createTasks` sink that fills it; part of what a run returns.
pub use super::operators::TaskToCreate;
use super::{
    catalogue::{self, ComponentKind},
    csv,
    graph::{Graph, Node},
    operators::{Emitted, Operator, SinkResult},
    rows::Row,
    validate::{contributing_nodes, declared_types, delimiter_of},
};

/// How often, in rows, long loops ask whether the run was interrupted.
const INTERRUPT_CHECK_EVERY: usize = 4096;

#[derive(Debug, Clone, Copy)]
pub struct ExecutionLimits {
    /// No node may produce more rows than this.
    pub max_rows: usize,
    /// Rows of the run's output kept for storing; the rest are only counted.
    pub max_stored_output_rows: usize,
}

/// What the caller hands in: run parameters (`params.<name>` in expressions) and the rows of
/// each database-backed source node, by node id.
#[derive(Debug, Clone, Default)]
pub struct RunInputs {
    pub parameters: Row,
    pub source_rows: HashMap<String, Vec<Row>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExecutionEvent {
    NodeStarted {
        node_id: String,
    },
    NodeFinished {
        node_id: String,
        rows_in: u64,
        rows_out: u64,
    },
    NodeFailed {
        node_id: String,
        rows_in: u64,
        error: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunResult {
    /// Rows of the `runOutput` sinks (in node order), and one `{node, csv}` row per `csvExport`,
    /// up to `max_stored_output_rows`.
    pub output: Vec<Row>,
    /// How many output rows the run produced, kept or not.
    pub output_total: usize,
    pub tasks_to_create: Vec<TaskToCreate>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunFailure {
    /// A node failed; the message names the row where one is to blame.
    Node {
        node_id: String,
        message: String,
    },
    Interrupted,
    /// The graph cannot run at all (it should have been refused by validation).
    Graph(String),
}

impl RunFailure {
    pub fn message(&self) -> String {
        match self {
            RunFailure::Node { node_id, message } => format!("node {node_id}: {message}"),
            RunFailure::Interrupted => "the run was interrupted".into(),
            RunFailure::Graph(message) => message.clone(),
        }
    }
}

/// Why the scheduler stopped early.
enum Stop {
    /// The node at this index failed.
    Node {
        index: usize,
        message: String,
    },
    Interrupted,
}

fn failed(index: usize) -> impl FnOnce(String) -> Stop {
    move |message| Stop::Node { index, message }
}

/// One step of work on the scheduler's stack.
enum Step {
    /// Pass on a row the node produced on `port`.
    Emit {
        index: usize,
        port: &'static str,
        row: Row,
    },
    /// Hand a row to one input lane of a node.
    Deliver { index: usize, lane: usize, row: Row },
    /// What the node emitted from its last row has gone downstream: if nothing there takes
    /// rows any more, neither does the node.
    CheckDemand { index: usize },
    /// The producer feeding this lane has ended.
    Close { index: usize, lane: usize },
    /// Read on past closed lanes; end the node after its last.
    Advance { index: usize },
    /// The node's input has ended: its operator emits what it held.
    Finish { index: usize },
    /// Everything the node emitted has gone downstream: report it and close its consumers'
    /// lanes.
    Finished { index: usize },
}

/// One input connection of a node, as the node reads it.
struct Lane {
    port: String,
    /// The producer has ended: no more rows will come.
    closed: bool,
    /// Rows that came before the node got to this lane.
    waiting: Vec<Row>,
}

/// Where the rows of one output port go: (consumer node index, lane index) pairs.
struct Route {
    port: String,
    targets: Vec<(usize, usize)>,
}

struct NodeRun<'g> {
    node: &'g Node,
    kind: Option<ComponentKind>,
    /// Built when the node starts; sources have none.
    operator: Option<Operator>,
    lanes: Vec<Lane>,
    /// The lane being read; those before it are closed and drained.
    reading: usize,
    started: bool,
    /// Its input has ended (its `Finish` step has run).
    ending: bool,
    finished: bool,
    /// Takes no more rows: its operator is done or nothing downstream wants rows.
    satisfied: bool,
    rows_in: u64,
    rows_out: u64,
    /// Reused buffer for what the operator emits from one row.
    scratch: Emitted,
}

struct Scheduler<'g, 'o> {
    /// Nodes in topological order; indexes below refer to this order.
    nodes: Vec<NodeRun<'g>>,
    routes: &'g [Vec<Route>],
    limits: ExecutionLimits,
    parameters: &'g Row,
    source_rows: HashMap<String, Vec<Row>>,
    interrupted: &'o dyn Fn() -> bool,
    observer: &'o mut dyn FnMut(ExecutionEvent),
    /// Units of work done (rows read or passed on); every few thousand, ask `interrupted`.
    work: usize,
    steps: Vec<Step>,
    sinks: Vec<(usize, SinkResult)>,
}

/// Runs `graph`. The graph must have passed validation; nodes on no source-to-sink path are
/// skipped.
pub fn execute(
    graph: &Graph,
    inputs: RunInputs,
    limits: ExecutionLimits,
    interrupted: &dyn Fn() -> bool,
    observer: &mut dyn FnMut(ExecutionEvent),
) -> Result<RunResult, RunFailure> {
    let order = graph.topological_order().map_err(|cyclic| {
        RunFailure::Graph(format!(
            "the graph has a cycle through {}",
            cyclic.join(", ")
        ))
    })?;
    let contributing = contributing_nodes(graph);
    let mut nodes = Vec::new();
    for node_id in order.iter().filter(|id| contributing.contains(*id)) {
        let node = graph
            .node(node_id)
            .ok_or_else(|| RunFailure::Graph(format!("node {node_id} vanished")))?;
        nodes.push(NodeRun {
            node,
            kind: catalogue::component(&node.component).map(|component| component.kind),
            operator: None,
            lanes: Vec::new(),
            reading: 0,
            started: false,
            ending: false,
            finished: false,
            satisfied: false,
            rows_in: 0,
            rows_out: 0,
            scratch: Vec::new(),
        });
    }
    let routes = wire_lanes(graph, &mut nodes);
    if interrupted() {
        return Err(RunFailure::Interrupted);
    }
    let mut scheduler = Scheduler {
        nodes,
        routes: &routes,
        limits,
        parameters: &inputs.parameters,
        source_rows: inputs.source_rows,
        interrupted,
        observer,
        work: 0,
        steps: Vec::new(),
        sinks: Vec::new(),
    };
    match scheduler.run() {
        Ok(()) => Ok(scheduler.into_result()),
        Err(Stop::Interrupted) => Err(RunFailure::Interrupted),
        Err(Stop::Node { index, message }) => {
            let culprit = &scheduler.nodes[index];
            let node_id = culprit.node.id.clone();
            (scheduler.observer)(ExecutionEvent::NodeFailed {
                node_id: node_id.clone(),
                rows_in: culprit.rows_in,
                error: message.clone(),
            });
            Err(RunFailure::Node { node_id, message })
        }
    }
}

/// Gives each node its input lanes, in reading order, and returns each node's routes to them.
fn wire_lanes(graph: &Graph, nodes: &mut [NodeRun]) -> Vec<Vec<Route>> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(position, run)| (run.node.id.as_str(), position))
        .collect();
    let mut routes: Vec<Vec<Route>> = (0..nodes.len()).map(|_| Vec::new()).collect();
    for (consumer, run) in nodes.iter_mut().enumerate() {
        for port in Operator::input_priority(&run.node.component) {
            let incoming = graph.connections.iter().filter(|connection| {
                connection.to.node_id == run.node.id && connection.to.port == *port
            });
            for connection in incoming {
                let Some(&producer) = index.get(connection.from.node_id.as_str()) else {
                    continue;
                };
                let lane = run.lanes.len();
                run.lanes.push(Lane {
                    port: port.to_string(),
                    closed: false,
                    waiting: Vec::new(),
                });
                let producer_routes = &mut routes[producer];
                let route = match producer_routes
                    .iter()
                    .position(|route| route.port == connection.from.port)
                {
                    Some(position) => &mut producer_routes[position],
                    None => {
                        producer_routes.push(Route {
                            port: connection.from.port.clone(),
                            targets: Vec::new(),
                        });
                        let last = producer_routes.len() - 1;
                        &mut producer_routes[last]
                    }
                };
                route.targets.push((consumer, lane));
            }
        }
    }
    routes
}

impl Scheduler<'_, '_> {
    fn run(&mut self) -> Result<(), Stop> {
        for index in 0..self.nodes.len() {
            // Nodes fed by others end when their inputs do; what is left here are sources.
            if self.nodes[index].finished {
                continue;
            }
            self.start(index)?;
            if self.nodes[index].kind == Some(ComponentKind::Source) {
                self.read_source(index)?;
            }
            self.steps.push(Step::Finish { index });
            self.work_off()?;
        }
        Ok(())
    }

    /// Runs steps until none is left.
    fn work_off(&mut self) -> Result<(), Stop> {
        while let Some(step) = self.steps.pop() {
            match step {
                Step::Emit { index, port, row } => self.emit(index, port, row)?,
                Step::Deliver { index, lane, row } => self.deliver(index, lane, row)?,
                Step::CheckDemand { index } => {
                    if !self.consumers_want_rows(index) {
                        self.nodes[index].satisfied = true;
                    }
                }
                Step::Close { index, lane } => {
                    self.nodes[index].lanes[lane].closed = true;
                    self.advance(index);
                }
                Step::Advance { index } => self.advance(index),
                Step::Finish { index } => self.finish(index)?,
                Step::Finished { index } => self.finished(index),
            }
        }
        Ok(())
    }

    fn tick(&mut self) -> Result<(), Stop> {
        self.work += 1;
        if self.work % INTERRUPT_CHECK_EVERY == 0 && (self.interrupted)() {
            return Err(Stop::Interrupted);
        }
        Ok(())
    }

    fn start(&mut self, index: usize) -> Result<(), Stop> {
        let run = &mut self.nodes[index];
        if run.started {
            return Ok(());
        }
        run.started = true;
        (self.observer)(ExecutionEvent::NodeStarted {
            node_id: run.node.id.clone(),
        });
        if run.kind != Some(ComponentKind::Source) {
            let operator = Operator::new(run.node, self.limits.max_stored_output_rows)
                .map_err(failed(index))?;
            run.satisfied = operator.satisfied();
            run.operator = Some(operator);
        }
        Ok(())
    }

    fn read_source(&mut self, index: usize) -> Result<(), Stop> {
        let node = self.nodes[index].node;
        let config = &node.config;
        match node.component.as_str() {
            "inlineRows" => {
                let rows = config["rows"].as_array().into_iter().flatten();
                for row in rows.filter_map(Value::as_object) {
                    if !self.consumers_want_rows(index) {
                        break;
                    }
                    self.send_from_source(index, row.clone())?;
                }
            }
            "csvText" => {
                let at_line = |error: csv::CsvError| Stop::Node {
                    index,
                    message: format!("CSV line {}: {}", error.line, error.message),
                };
                let rows = csv::rows(
                    config["text"].as_str().unwrap_or_default(),
                    delimiter_of(config),
                    &declared_types(config),
                )
                .map_err(at_line)?;
                for row in rows {
                    if !self.consumers_want_rows(index) {
                        break;
                    }
                    self.send_from_source(index, row.map_err(at_line)?)?;
                }
            }
            "projectTasks" | "myBookmarks" | "previousRunOutput" => {
                let rows = self
                    .source_rows
                    .remove(&node.id)
                    .ok_or_else(|| Stop::Node {
                        index,
                        message: format!("the rows of {} were not provided", node.component),
                    })?;
                for row in rows {
                    if !self.consumers_want_rows(index) {
                        break;
                    }
                    self.send_from_source(index, row)?;
                }
            }
            other => {
                return Err(Stop::Node {
                    index,
                    message: format!("`{other}` is not a source"),
                })
            }
        }
        Ok(())
    }

    /// Sends one row a source read as far downstream as it goes, before the next is read.
    fn send_from_source(&mut self, index: usize, row: Row) -> Result<(), Stop> {
        self.steps.push(Step::Emit {
            index,
            port: "out",
            row,
        });
        self.work_off()
    }

    /// Whether any node this one feeds still takes rows (a node feeding nothing is a sink).
    fn consumers_want_rows(&self, index: usize) -> bool {
        let routes = &self.routes[index];
        routes.is_empty()
            || routes
                .iter()
                .flat_map(|route| &route.targets)
                .any(|&(target, _)| !self.nodes[target].satisfied)
    }

    /// Queues a row the node produced on `port` for every consumer that still takes rows.
    fn emit(&mut self, index: usize, port: &'static str, row: Row) -> Result<(), Stop> {
        if !self.consumers_want_rows(index) {
            return Ok(());
        }
        self.tick()?;
        let run = &mut self.nodes[index];
        run.rows_out += 1;
        if run.rows_out > self.limits.max_rows as u64 {
            return Err(Stop::Node {
                index,
                message: format!(
                    "produced more than {} rows, the most a run may handle",
                    self.limits.max_rows
                ),
            });
        }
        let routes = self.routes;
        let Some(route) = routes[index].iter().find(|route| route.port == port) else {
            return Ok(());
        };
        let nodes = &self.nodes;
        let live = |&&(target, _): &&(usize, usize)| !nodes[target].satisfied;
        let mut copies_left = route.targets.iter().filter(live).count();
        let mut row = row;
        // Pushed last, the first consumer runs first; it takes the row itself, the rest copies.
        for &(target, lane) in route.targets.iter().rev().filter(live) {
            copies_left -= 1;
            let row = if copies_left == 0 {
                std::mem::take(&mut row)
            } else {
                row.clone()
            };
            self.steps.push(Step::Deliver {
                index: target,
                lane,
                row,
            });
        }
        Ok(())
    }

    fn deliver(&mut self, index: usize, lane: usize, row: Row) -> Result<(), Stop> {
        self.start(index)?;
        let run = &mut self.nodes[index];
        if run.satisfied {
            return Ok(());
        }
        if lane != run.reading {
            run.lanes[lane].waiting.push(row);
            return Ok(());
        }
        self.accept(index, lane, row)
    }

    /// Hands a row to the node's operator and queues what it emits.
    fn accept(&mut self, index: usize, lane: usize, row: Row) -> Result<(), Stop> {
        self.tick()?;
        let run = &mut self.nodes[index];
        run.rows_in += 1;
        let Some(operator) = run.operator.as_mut() else {
            return Err(Stop::Node {
                index,
                message: "a source cannot take rows".into(),
            });
        };
        operator
            .accept(
                &run.lanes[lane].port,
                row,
                run.rows_in,
                self.parameters,
                &mut run.scratch,
            )
            .map_err(failed(index))?;
        run.satisfied |= operator.satisfied();
        if !run.scratch.is_empty() {
            self.steps.push(Step::CheckDemand { index });
            self.queue_emitted(index);
        }
        Ok(())
    }

    /// Moves what the node's operator emitted onto the stack, first row on top.
    fn queue_emitted(&mut self, index: usize) {
        let emitted = self.nodes[index].scratch.drain(..).rev();
        self.steps
            .extend(emitted.map(|(port, row)| Step::Emit { index, port, row }));
    }

    /// Moves past closed lanes, releasing the rows that waited on the next one; queues the
    /// node's end after its last lane.
    fn advance(&mut self, index: usize) {
        let run = &mut self.nodes[index];
        match run.lanes.get(run.reading) {
            Some(current) if current.closed => {
                run.reading += 1;
                let reading = run.reading;
                self.steps.push(Step::Advance { index });
                let waiting = match run.lanes.get_mut(reading) {
                    Some(next) => std::mem::take(&mut next.waiting),
                    None => Vec::new(),
                };
                self.steps
                    .extend(waiting.into_iter().rev().map(|row| Step::Deliver {
                        index,
                        lane: reading,
                        row,
                    }));
            }
            Some(_) => {}
            None => self.steps.push(Step::Finish { index }),
        }
    }

    fn finish(&mut self, index: usize) -> Result<(), Stop> {
        self.start(index)?;
        let run = &mut self.nodes[index];
        if run.ending {
            return Ok(());
        }
        run.ending = true;
        if let Some(operator) = run.operator.as_mut() {
            operator.finish(&mut run.scratch);
        }
        self.steps.push(Step::Finished { index });
        self.queue_emitted(index);
        Ok(())
    }

    fn finished(&mut self, index: usize) {
        let run = &mut self.nodes[index];
        run.finished = true;
        // A sink's "rows out" are the rows it wrote.
        let rows_out = match run.kind {
            Some(ComponentKind::Sink) => run.rows_in,
            _ => run.rows_out,
        };
        if let Some(sink) = run.operator.take().and_then(Operator::into_sink_result) {
            self.sinks.push((index, sink));
        }
        (self.observer)(ExecutionEvent::NodeFinished {
            node_id: run.node.id.clone(),
            rows_in: run.rows_in,
            rows_out,
        });
        let routes = self.routes;
        let consumers = routes[index].iter().flat_map(|route| &route.targets);
        // Reversed on the stack, so the lanes close in route order.
        self.steps
            .extend(consumers.rev().map(|&(target, lane)| Step::Close {
                index: target,
                lane,
            }));
    }

    /// The sinks' results, in node order.
    fn into_result(mut self) -> RunResult {
        self.sinks.sort_by_key(|(index, _)| *index);
        let mut result = RunResult::default();
        for (_, sink) in self.sinks {
            match sink {
                SinkResult::Rows(stored) => {
                    result.output_total += stored.total;
                    let room = self
                        .limits
                        .max_stored_output_rows
                        .saturating_sub(result.output.len());
                    result.output.extend(stored.rows.into_iter().take(room));
                }
                SinkResult::Tasks(tasks) => result.tasks_to_create.extend(tasks),
            }
        }
        result
    }
}
