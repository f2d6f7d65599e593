//! Long-lived event streams over HTTP/1.1 leave hyper once their response head is ready, and are
//! written here on the bare socket (chunked, `Connection: close`), the way Go's `Hijacker`
//! serves streams.
//!
//! Why: for as long as a response runs, hyper keeps each HTTP/1.1 connection's read buffer
//! (8 KiB, reallocated at 16 KiB because the request's headers still share the first one when
//! it reads on) and its 8 KiB header write buffer: about 25 KiB per connection, twice what the
//! rest of an idle subscription costs, and the graphql-sse client's default (one connection per
//! subscription) behind an HTTP/1.1 proxy pays it once per subscription. HTTP/2 streams share
//! their connection's buffers and stay with hyper.
//!
//! Only a response marked [`DetachOverHttp1`] leaves, and only after its request was read in
//! full: a client waits for a response before it sends the next request on the connection, so
//! hyper holds none of its bytes. Once the stream ends, the connection closes; the client's
//! next request opens a new one.

use std::{
    convert::Infallible,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request},
    http::{header, response::Parts, HeaderValue, Method, Version},
    response::{IntoResponse, Response},
    serve::IncomingStream,
    Router,
};
use futures_util::{future::BoxFuture, StreamExt};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::{TcpListener, TcpStream},
};
use tower::Service;

use crate::telemetry::Metrics;

/// Marks a response whose body outlives its request (an event stream of subscriptions): over
/// HTTP/1.1 it is written off hyper.
#[derive(Clone, Copy, Debug)]
pub struct DetachOverHttp1;

/// Accepts TCP connections whose socket a request can take away from hyper.
pub struct DetachableListener(pub TcpListener);

impl axum::serve::Listener for DetachableListener {
    type Io = DetachableSocket;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's accept loop for a `TcpListener` (it retries and backs off on errors).
        let (stream, peer) = axum::serve::Listener::accept(&mut self.0).await;
        let socket = DetachableSocket {
            stream: Arc::new(Mutex::new(Some(stream))),
        };
        (socket, peer)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

type SharedStream = Arc<Mutex<Option<TcpStream>>>;

/// The socket hyper serves a connection on. Once a request takes the stream, hyper reads an end
/// of input and its writes go nowhere, so its connection task finishes and frees its buffers.
pub struct DetachableSocket {
    stream: SharedStream,
}

impl DetachableSocket {
    fn with_stream<T>(
        &self,
        detached: T,
        io: impl FnOnce(Pin<&mut TcpStream>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        match stream.as_mut() {
            Some(stream) => io(Pin::new(stream)),
            None => Poll::Ready(Ok(detached)),
        }
    }
}

impl AsyncRead for DetachableSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.with_stream((), |stream| stream.poll_read(cx, buf))
    }
}

impl AsyncWrite for DetachableSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.with_stream(buf.len(), |stream| stream.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total = bufs.iter().map(|buf| buf.len()).sum();
        self.with_stream(total, |stream| stream.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with_stream((), |stream| stream.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with_stream((), |stream| stream.poll_shutdown(cx))
    }
}

/// Makes the service of each accepted connection: the router, told the peer's address (as
/// `into_make_service_with_connect_info` would) and able to detach a marked response.
#[derive(Clone)]
pub struct Connections {
    router: Router,
    metrics: Arc<Metrics>,
}

impl Connections {
    pub fn new(router: Router, metrics: Arc<Metrics>) -> Self {
        Connections { router, metrics }
    }
}

impl Service<IncomingStream<'_, DetachableListener>> for Connections {
    type Response = Connection;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Connection, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, incoming: IncomingStream<'_, DetachableListener>) -> Self::Future {
        std::future::ready(Ok(Connection {
            router: self.router.clone(),
            metrics: self.metrics.clone(),
            peer: *incoming.remote_addr(),
            stream: incoming.io().stream.clone(),
        }))
    }
}

/// One connection's service.
#[derive(Clone)]
pub struct Connection {
    router: Router,
    metrics: Arc<Metrics>,
    peer: SocketAddr,
    stream: SharedStream,
}

impl Service<Request> for Connection {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        // A response to HEAD carries no body: hyper leaves it out, and there is nothing to stream.
        let detachable = request.version() == Version::HTTP_11 && request.method() != Method::HEAD;
        let responding = self.router.call(request);
        let stream = self.stream.clone();
        let metrics = self.metrics.clone();
        Box::pin(async move {
            let response = responding.await?;
            if !detachable || response.extensions().get::<DetachOverHttp1>().is_none() {
                return Ok(response);
            }
            let taken = stream.lock().unwrap_or_else(PoisonError::into_inner).take();
            let Some(stream) = taken else {
                return Ok(response);
            };
            let open = metrics.event_stream_detached();
            tokio::spawn(async move {
                write_detached(stream, response).await;
                drop(open);
            });
            // What hyper writes into the void; `close` so it ends the connection at once.
            Ok((
                [(header::CONNECTION, HeaderValue::from_static("close"))],
                Body::empty(),
            )
                .into_response())
        })
    }
}

/// Writes the response on the socket until its body ends (then the final chunk), the client
/// closes, or a write fails.
async fn write_detached(mut stream: TcpStream, response: Response) {
    // Every write is one whole event, wanted at once: Nagle's delay would only add latency.
    let _ = stream.set_nodelay(true);
    let (parts, body) = response.into_parts();
    if stream.write_all(&response_head(&parts)).await.is_err() {
        return;
    }
    let mut frames = body.into_data_stream();
    // A client sends nothing while its response streams; reading is how its leaving shows.
    let mut probe = [0u8; 64];
    loop {
        tokio::select! {
            frame = frames.next() => match frame {
                Some(Ok(data)) if data.is_empty() => {}
                Some(Ok(data)) => {
                    if write_chunk(&mut stream, &data).await.is_err() {
                        return;
                    }
                }
                // Without the final chunk, the client sees the stream cut short.
                Some(Err(_)) => return,
                None => break,
            },
            read = stream.read(&mut probe) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let _ = stream.shutdown().await;
}

/// The status line and headers hyper would have written, framed as chunked and closing.
fn response_head(parts: &Parts) -> Vec<u8> {
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(parts.status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(
        parts
            .status
            .canonical_reason()
            .unwrap_or_default()
            .as_bytes(),
    );
    head.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        if name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || name == header::CONNECTION
        {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    if !parts.headers.contains_key(header::DATE) {
        head.extend_from_slice(b"date: ");
        let now = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
        head.extend_from_slice(now.to_string().as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    head
}

/// Writes one chunk (size line, data, CRLF) as one vectored write where the socket takes it
/// whole, as hyper does: no copy of the event, nothing allocated per delivery.
async fn write_chunk(stream: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    let mut size_line = [0u8; 18];
    let size_line = chunk_size_line(data.len(), &mut size_line);
    let mut parts = [
        io::IoSlice::new(size_line),
        io::IoSlice::new(data),
        io::IoSlice::new(b"\r\n"),
    ];
    let mut unwritten = &mut parts[..];
    while !unwritten.is_empty() {
        let written = stream.write_vectored(unwritten).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        io::IoSlice::advance_slices(&mut unwritten, written);
    }
    Ok(())
}

/// `size` in hex, then CRLF, written into `buffer` (16 hex digits cover any `usize`).
fn chunk_size_line(size: usize, buffer: &mut [u8; 18]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (usize::BITS - size.leading_zeros()).div_ceil(4).max(1) as usize;
    for (index, slot) in buffer[..digits].iter_mut().enumerate() {
        let shift = 4 * (digits - 1 - index);
        *slot = HEX[(size >> shift) & 0xf];
    }
    buffer[digits..digits + 2].copy_from_slice(b"\r\n");
    &buffer[..digits + 2]
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn the_head_is_chunked_and_closing_whatever_the_response_said() {
        let response = (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/event-stream"),
                (header::CONNECTION, "keep-alive"),
                (header::CONTENT_LENGTH, "12"),
            ],
            Body::empty(),
        )
            .into_response();
        let (parts, _) = response.into_parts();
        let head = String::from_utf8(response_head(&parts)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("content-type: text/event-stream\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\ndate: "), "{head}");
        assert!(!head.contains("keep-alive") && !head.contains("content-length"));
        assert!(head.ends_with("transfer-encoding: chunked\r\nconnection: close\r\n\r\n"));
    }

    #[test]
    fn a_chunk_size_line_is_the_size_in_hex() {
        let mut buffer = [0u8; 18];
        for (size, line) in [
            (0, "0\r\n"),
            (9, "9\r\n"),
            (300, "12c\r\n"),
            (65_536, "10000\r\n"),
            (usize::MAX, "ffffffffffffffff\r\n"),
        ] {
            assert_eq!(chunk_size_line(size, &mut buffer), line.as_bytes());
        }
    }
}
