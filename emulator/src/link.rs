//! Connection control for the connection faults: the emulator's own listener
//! wraps every accepted socket so that a request's handler can close its
//! connection without answering, or cut its answer short.
//!
//! HTTP/1.1 carries one exchange at a time per connection, so a switch thrown
//! while a request is handled acts on that request's answer: the next bytes
//! written on the connection are its status line and headers.
//!
//! The same wrapper gives hyper's own refusals (a request it cannot parse: 400, 414,
//! 431, answered before any route runs, with an empty body that hyper offers no hook
//! to fill) the service's flat JSON error body: the empty answer hyper writes is
//! recognised and replaced on its way out. What the stack does not allow: a request
//! whose head never ends is cut off without an answer at hyper's header-read timeout,
//! and HTTP/2 refusals are not rewritten (the emulator serves HTTP/1.1).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections and gives each a [`Link`].
#[derive(Debug)]
pub(crate) struct LinkListener(pub(crate) TcpListener);

impl Listener for LinkListener {
    type Io = LinkedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = Listener::accept(&mut self.0).await;
        let stream = LinkedStream {
            io,
            link: Link::default(),
            pending: Vec::new(),
        };
        (stream, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// An accepted socket whose writes obey its [`Link`].
#[derive(Debug)]
pub(crate) struct LinkedStream {
    io: TcpStream,
    link: Link,
    /// A replacement answer still to write (see [`refusal_with_body`]).
    pending: Vec<u8>,
}

/// The control of one connection, handed to its requests as connect info.
#[derive(Debug, Clone, Default)]
pub(crate) struct Link(Arc<Mutex<Plan>>);

impl Connected<IncomingStream<'_, LinkListener>> for Link {
    fn connect_info(stream: IncomingStream<'_, LinkListener>) -> Self {
        stream.io().link.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Plan {
    /// Everything is written.
    #[default]
    Open,
    /// Nothing more is written: the connection closes without an answer.
    Closed,
    /// The answer's head and this much of its body are written, then the
    /// connection closes.
    Cut(Cut),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cut {
    /// How much of `\r\n\r\n` (the end of the head) was just written.
    matched: u8,
    in_body: bool,
    /// Body bytes still to write.
    left: usize,
}

impl Cut {
    /// How many of `buf`'s bytes may be written, and the plan after them.
    fn take(mut self, buf: &[u8]) -> (usize, Cut) {
        let mut n = 0;
        for &b in buf {
            if self.in_body {
                if self.left == 0 {
                    break;
                }
                self.left -= 1;
            } else {
                self.matched = match (self.matched, b) {
                    (0 | 2, b'\r') | (1 | 3, b'\n') => self.matched + 1,
                    (_, b'\r') => 1,
                    _ => 0,
                };
                self.in_body = self.matched == 4;
            }
            n += 1;
        }
        (n, self)
    }
}

impl Link {
    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the connection before anything more is written.
    pub(crate) fn close(&self) {
        *self.plan() = Plan::Closed;
    }

    /// Writes the next answer's head and `body_bytes` bytes of its body, then
    /// closes the connection.
    pub(crate) fn cut_after(&self, body_bytes: usize) {
        *self.plan() = Plan::Cut(Cut {
            matched: 0,
            in_body: false,
            left: body_bytes,
        });
    }

    fn is_open(&self) -> bool {
        *self.plan() == Plan::Open
    }

    /// How many of `buf`'s bytes may be written now (0: none, close).
    fn allowed(&self, buf: &[u8]) -> usize {
        match *self.plan() {
            Plan::Open => buf.len(),
            Plan::Closed => 0,
            Plan::Cut(cut) => cut.take(buf).0,
        }
    }

    /// Records that `written` went out.
    fn wrote(&self, written: &[u8]) {
        let mut plan = self.plan();
        if let Plan::Cut(cut) = *plan {
            *plan = Plan::Cut(cut.take(written).1);
        }
    }
}

fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the emulator closed this connection (injected fault)",
    )
}

impl AsyncRead for LinkedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

/// The head hyper writes when it refuses a request it cannot parse: one of its
/// automatic statuses, an empty body and no content type (every answer of the
/// emulator's routes has one).
fn is_automatic_refusal(buf: &[u8]) -> Option<u16> {
    let head = std::str::from_utf8(buf).ok()?.strip_suffix("\r\n\r\n")?;
    let status: u16 = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let lines: Vec<String> = head.lines().map(str::to_ascii_lowercase).collect();
    let empty = lines.iter().any(|l| l == "content-length: 0");
    let typed = lines.iter().any(|l| l.starts_with("content-type:"));
    (matches!(status, 400 | 414 | 431) && empty && !typed).then_some(status)
}

/// hyper's refusal `head` with the service's flat error body instead of nothing.
fn refusal_with_body(head: &[u8], status: u16) -> Vec<u8> {
    let description = match status {
        414 => "Request URI too long",
        431 => "Request header fields too large",
        _ => "Malformed HTTP request",
    };
    let error = crate::service_error::ServiceError::invalid_parameter(description);
    let body = serde_json::to_vec(&error.body()).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let head = head.trim_end_matches(['\r', '\n']);
    let fields = format!(
        "content-type: application/json\r\ncontent-length: {}",
        body.len()
    );
    let mut answer = head
        .lines()
        .map(|line| {
            if line.eq_ignore_ascii_case("content-length: 0") {
                fields.as_str()
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes();
    answer.extend_from_slice(b"\r\n\r\n");
    answer.extend_from_slice(&body);
    answer
}

impl LinkedStream {
    /// Writes what is left of a replacement answer; ready when nothing is left.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for LinkedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        if let Some(status) = is_automatic_refusal(buf) {
            // Taken whole: hyper's bytes count as written; ours go out now or on flush.
            this.pending = refusal_with_body(buf, status);
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        let allowed = this.link.allowed(buf);
        if allowed == 0 && !buf.is_empty() {
            // The error makes the server drop the socket, which closes it.
            return Poll::Ready(Err(closed()));
        }
        let slice = buf.get(..allowed).unwrap_or(buf);
        let written = Pin::new(&mut this.io).poll_write(cx, slice);
        if let Poll::Ready(Ok(n)) = &written {
            this.link.wrote(slice.get(..*n).unwrap_or(slice));
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty());
        let refusal = first.is_some_and(|b| is_automatic_refusal(b).is_some());
        if self.link.is_open() && self.pending.is_empty() && !refusal {
            return Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs);
        }
        self.poll_write(cx, first.map_or(&[][..], |b| &b[..]))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_keeps_the_head_and_part_of_the_body() {
        let link = Link::default();
        link.cut_after(3);
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789";
        let head = answer.len() - 10;
        // Written in pieces that split the end of the head.
        let first = &answer[..head - 2];
        assert_eq!(link.allowed(first), first.len());
        link.wrote(first);
        let rest = &answer[head - 2..];
        assert_eq!(link.allowed(rest), 2 + 3);
        link.wrote(&rest[..5]);
        assert_eq!(link.allowed(&rest[5..]), 0);
    }

    #[test]
    fn a_bare_carriage_return_does_not_end_the_head() {
        let cut = Cut {
            matched: 0,
            in_body: false,
            left: 0,
        };
        assert_eq!(cut.take(b"a\r\r\n\r\nbody").0, 6);
        assert_eq!(cut.take(b"a\r\nb\r\n").0, 6);
    }

    #[test]
    fn only_hypers_empty_refusals_are_rewritten() {
        let refusal = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(is_automatic_refusal(refusal), Some(431));
        let answer = String::from_utf8(refusal_with_body(refusal, 431)).unwrap_or_default();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(body.contains("invalid_parameter"), "{body}");
        // The routes' answers always have a content type; other statuses are left alone.
        let routed = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(is_automatic_refusal(routed), None);
        let other = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(is_automatic_refusal(other), None);
        assert_eq!(is_automatic_refusal(b"HTTP/1.1 400 Bad"), None);
    }

    #[test]
    fn closed_writes_nothing() {
        let link = Link::default();
        assert_eq!(link.allowed(b"abc"), 3);
        link.close();
        assert_eq!(link.allowed(b"abc"), 0);
    }
}
