//! Connection control for the connection faults: the emulator's own listener
//! wraps every accepted socket so that a request's handler can close its
//! connection without answering, or cut its answer short.
//!
//! HTTP/1.1 carries one exchange at a time per connection, so a switch thrown
//! while a request is handled acts on that request's answer: the next bytes
//! written on the connection are its status line and headers.

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

impl AsyncWrite for LinkedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
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
        if self.link.is_open() {
            return Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs);
        }
        let first = bufs.iter().find(|b| !b.is_empty());
        self.poll_write(cx, first.map_or(&[][..], |b| &b[..]))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
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
    fn closed_writes_nothing() {
        let link = Link::default();
        assert_eq!(link.allowed(b"abc"), 3);
        link.close();
        assert_eq!(link.allowed(b"abc"), 0);
    }
}
