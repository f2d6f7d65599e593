//! A minimal Server-Sent Events client over real HTTP, reading the stream as the graphql-sse
//! client and `EventSource` do: events (`event:`, `id:`, `data:`) separated by blank lines,
//! comment lines starting with `:`.

use std::time::Duration;

use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub enum Block {
    Comment,
    Event(SseEvent),
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl SseEvent {
    /// The event's data as JSON (`next` events, and `complete` ones of the single mode).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|_| panic!("JSON data: {self:?}"))
    }
}

pub struct SseStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl SseStream {
    /// Sends `request` and expects an event stream back.
    pub async fn open(request: reqwest::RequestBuilder) -> SseStream {
        let response = request
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "an event stream opens");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "got {content_type}"
        );
        SseStream {
            response,
            buffer: Vec::new(),
        }
    }

    /// The HTTP version the stream is served over.
    pub fn version(&self) -> reqwest::Version {
        self.response.version()
    }

    /// The next comment or event; `None` when the server ended the stream.
    pub async fn next_block(&mut self) -> Option<Block> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\n\n") {
                let raw: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(raw).expect("event streams are UTF-8");
                return Some(parse_block(&text));
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("the server sends something within the wait")
                .ok()
                .flatten()?;
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// The next event, skipping keep-alive comments; panics if the stream ends first.
    pub async fn next_event(&mut self) -> SseEvent {
        loop {
            match self.next_block().await {
                Some(Block::Event(event)) => return event,
                Some(Block::Comment) => continue,
                None => panic!("the event stream ended unexpectedly"),
            }
        }
    }

    /// Whether the server ends the stream next (after skipping comments).
    pub async fn ends(&mut self) -> bool {
        loop {
            match self.next_block().await {
                Some(Block::Comment) => continue,
                Some(Block::Event(event)) => panic!("expected the end, got {event:?}"),
                None => return true,
            }
        }
    }
}

fn parse_block(text: &str) -> Block {
    let mut event = SseEvent {
        event: String::new(),
        id: None,
        data: String::new(),
    };
    let mut saw_field = false;
    for line in text.lines() {
        if line.starts_with(':') || line.is_empty() {
            continue;
        }
        saw_field = true;
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event.event = value.to_string(),
            "id" => event.id = Some(value.to_string()),
            "data" if event.data.is_empty() => event.data = value.to_string(),
            "data" => {
                event.data.push('\n');
                event.data.push_str(value);
            }
            _ => {}
        }
    }
    if saw_field {
        Block::Event(event)
    } else {
        Block::Comment
    }
}
